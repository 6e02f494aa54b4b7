import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ConfiguredPlugin, checkApiVersion, isPlugin, LlmteamError } from '@llmteam/core';
import type { PluginEntry } from './load-config.js';

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
 * Resolves a plugin package from `dir` the way an ESM `import` would: `require.resolve`
 * alone cannot, because plugin packages export only an `import` condition.
 */
export function resolvePluginModule(name: string, dir: string): string {
  if (name.startsWith('.') || isAbsolute(name)) return pathToFileURL(resolve(dir, name)).href;
  const require = createRequire(join(dir, 'package.json'));
  let manifestPath: string | undefined;
  try {
    manifestPath = require.resolve(`${name}/package.json`);
  } catch {
    // Packages whose exports hide package.json: fall back to CommonJS resolution below.
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

/** Imports plugin entries from `dir`, checks each is a `definePlugin` object fitting this core's API. */
export async function importPlugins(entries: PluginEntry[], dir: string): Promise<ConfiguredPlugin[]> {
  const loaded: ConfiguredPlugin[] = [];
  for (const entry of entries) {
    const [name, options] = typeof entry === 'string' ? [entry, {}] : [entry[0], entry[1] ?? {}];
    let mod: { default?: unknown };
    try {
      let url: string | undefined;
      try {
        url = resolvePluginModule(name, dir);
      } catch {
        url = undefined;
      }
      // Not installed next to the config (or an unbuilt workspace package): the gateway's own copy, if it has one.
      mod = (url && existsSync(fileURLToPath(url)) ? await import(url) : await import(name)) as {
        default?: unknown;
      };
    } catch (cause) {
      throw new LlmteamError(
        'LLMT_E_PLUGIN_LOAD',
        `plugin "${name}" could not be imported from ${dir}: ${(cause as Error).message}; install it there (e.g. pnpm add ${name}) or fix its name`,
        { cause, details: { plugin: name } },
      );
    }
    // A CommonJS plugin imported from ESM arrives as { default: { default: plugin } }.
    const candidate = isPlugin(mod.default)
      ? mod.default
      : (mod.default as { default?: unknown } | undefined)?.default;
    if (!isPlugin(candidate)) {
      throw new LlmteamError(
        'LLMT_E_PLUGIN_INVALID',
        `module "${name}" has no plugin as its default export; export default definePlugin({ name, version, apiVersion, setup })`,
        {
          details: { plugin: name },
        },
      );
    }
    checkApiVersion(candidate);
    loaded.push({ plugin: candidate, options });
  }
  return loaded;
}
