import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type ConfiguredPlugin,
  checkApiVersion,
  isPlugin,
  LlmteamError,
  resolvePluginModule,
} from '@llmteam/core';
import type { PluginEntry } from './load-config.js';

/** Imports plugin entries from `dir`, checks each is a `definePlugin` object fitting this core's API. */
export async function importPlugins(entries: PluginEntry[], dir: string): Promise<ConfiguredPlugin[]> {
  const loaded: ConfiguredPlugin[] = [];
  for (const entry of entries) {
    const [name, options, scope] =
      typeof entry === 'string' ? [entry, {}, undefined] : [entry[0], entry[1] ?? {}, entry[2]];
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
    loaded.push({ plugin: candidate, options, ...(scope?.tenant ? { tenantId: scope.tenant } : {}) });
  }
  return loaded;
}
