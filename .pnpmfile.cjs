// sqlite3 compiles from source where its prebuilt binary cannot be downloaded, and node-gyp
// then needs Node's headers. They ship with Node itself (<prefix>/include/node): unless a
// nodedir is set (.npmrc, npm_config_nodedir), install scripts get the running Node's own,
// so `pnpm install` needs no setting beforehand and no headers download. Where a prebuilt
// binary is reachable, it is used as before.
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

const prefix = dirname(dirname(process.execPath));

module.exports = {
  hooks: {
    updateConfig(config) {
      if (!config.rawConfig?.nodedir && existsSync(join(prefix, 'include', 'node', 'node.h')))
        config.rawConfig = { ...config.rawConfig, nodedir: prefix };
      return config;
    },
  },
};
