import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LlmteamError } from '../errors.js';
import { isPlugin } from './define-plugin.js';
import type { ConfiguredPlugin } from './types.js';
import { checkApiVersion } from './version.js';

/** A plugin named in config: a package name, or `[name, options]`. */
export type PluginSpec = string | [string, Record<string, unknown>?];

export interface LoadPluginsOptions {
  /** Directory package names are resolved from (the config file's directory). @default process.cwd() */
  cwd?: string;
}

/**
 * Imports plugins by package name (or path), checks each default export is a
 * `definePlugin(...)` object whose `apiVersion` fits this core, and returns them with
 * their options, ready for `createEngine({ plugins })`.
 */
export async function loadPlugins(
  specs: PluginSpec[],
  options: LoadPluginsOptions = {},
): Promise<ConfiguredPlugin[]> {
  const cwd = options.cwd ?? process.cwd();
  const require = createRequire(join(cwd, 'package.json'));
  const loaded: ConfiguredPlugin[] = [];
  for (const spec of specs) {
    const [name, pluginOptions] = typeof spec === 'string' ? [spec, {}] : [spec[0], spec[1] ?? {}];
    let mod: Record<string, unknown>;
    try {
      const resolved = name.startsWith('.') || name.startsWith('/') ? join(cwd, name) : require.resolve(name);
      mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch (cause) {
      throw new LlmteamError(
        'LLMT_E_PLUGIN_LOAD',
        `plugin "${name}" could not be imported from ${cwd}: ${(cause as Error).message}; install it (e.g. pnpm add ${name}) or fix its name`,
        { cause, details: { plugin: name } },
      );
    }
    const plugin = (
      mod.default &&
      typeof mod.default === 'object' &&
      'default' in (mod.default as object) &&
      !isPlugin(mod.default)
        ? (mod.default as Record<string, unknown>).default
        : mod.default
    ) as unknown;
    if (!isPlugin(plugin)) {
      throw new LlmteamError(
        'LLMT_E_PLUGIN_INVALID',
        `module "${name}" has no plugin as its default export; export default definePlugin({ name, version, apiVersion, setup })`,
        { details: { plugin: name } },
      );
    }
    checkApiVersion(plugin);
    loaded.push({ plugin, options: pluginOptions });
  }
  return loaded;
}
