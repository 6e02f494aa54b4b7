import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LlmteamError } from '../errors.js';
import { isPlugin } from './define-plugin.js';
import type { ConfiguredPlugin } from './types.js';
import { checkApiVersion } from './version.js';

/** A plugin named in config: a package name, or `[name, options]`. */
export type PluginSpec = string | [string, Record<string, unknown>?];

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** Directory package names are resolved from (the config file's directory). @default process.cwd() */
  cwd?: string;
}

type Exports = string | { [key: string]: Exports } | null | undefined;

/** The ESM entry of a package's `exports["."]` (import, node or default condition). */
function esmEntry(exports: Exports): string | undefined {
  if (typeof exports === 'string') return exports;
  if (!exports || typeof exports !== 'object') return undefined;
  const root = '.' in exports ? exports['.'] : exports;
  if (typeof root === 'string') return root;
  if (!root || typeof root !== 'object') return undefined;
  for (const condition of ['import', 'node', 'default']) {
    const found = esmEntry(root[condition] as Exports);
    if (found) return found;
  }
  return undefined;
}

/**
 * Resolves a plugin package from `dir` the way an ESM `import` would, as a file URL.
 * `require.resolve` alone cannot: plugin packages may export only an `import` condition.
 */
export function resolvePluginModule(name: string, dir: string): string {
  if (name.startsWith('.') || isAbsolute(name)) return pathToFileURL(resolve(dir, name)).href;
  const require = createRequire(join(dir, 'package.json'));
  let manifestPath: string | undefined;
  try {
    manifestPath = require.resolve(`${name}/package.json`);
  } catch {
    // Packages whose exports hide package.json: CommonJS resolution below.
  }
  if (manifestPath) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      exports?: Exports;
      module?: string;
      main?: string;
    };
    const entry = esmEntry(manifest.exports) ?? manifest.module ?? manifest.main ?? 'index.js';
    return pathToFileURL(join(dirname(manifestPath), entry)).href;
  }
  return pathToFileURL(require.resolve(name)).href;
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
  const loaded: ConfiguredPlugin[] = [];
  for (const spec of specs) {
    const [name, pluginOptions] = typeof spec === 'string' ? [spec, {}] : [spec[0], spec[1] ?? {}];
    let mod: Record<string, unknown>;
    try {
      mod = (await import(resolvePluginModule(name, cwd))) as Record<string, unknown>;
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
