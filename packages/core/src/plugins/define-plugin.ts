import type { LlmteamPlugin } from './types.js';

const PLUGIN_BRAND = Symbol.for('llmteam.plugin');

/**
 * Declares a plugin. The object is returned as it is, marked so the loader can tell a
 * plugin from any other default export.
 *
 * ```ts
 * export default definePlugin({
 *   name: '@acme/llmteam-steps-erp', version: '1.0.0', apiVersion: '^1.0.0',
 *   setup(api) { api.registerStepType(erpLookup); },
 * });
 * ```
 */
export function definePlugin(plugin: LlmteamPlugin): LlmteamPlugin {
  Object.defineProperty(plugin, PLUGIN_BRAND, { value: true });
  return plugin;
}

/** True for objects made by {@link definePlugin} (from any copy of core). */
export function isPlugin(value: unknown): value is LlmteamPlugin {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true
  );
}
