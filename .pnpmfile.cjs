// sqlite3 compiles from source where its prebuilt binary cannot be downloaded, and node-gyp
// then needs Node's headers. They ship with Node itself (<prefix>/include/node): point
// node-gyp at them unless the caller chose a nodedir, so `pnpm install` needs no setting
// beforehand and no headers download. Where a prebuilt binary is reachable, it is used.
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

if (!process.env.npm_config_nodedir && !process.env.NPM_CONFIG_NODEDIR) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node.h'))) process.env.npm_config_nodedir = prefix;
}

module.exports = { hooks: {} };
