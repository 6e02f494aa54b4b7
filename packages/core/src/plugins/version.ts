import semver from 'semver';
import { LlmteamError } from '../errors.js';
import type { LlmteamPlugin } from './types.js';

/** Version of this `@llmteam/core` package. */
export const CORE_VERSION = '0.1.0';

/**
 * Version of the plugin API (what `apiVersion` ranges are checked against). It changes
 * major when a plugin written for the previous one could break.
 */
export const PLUGIN_API_VERSION = '1.0.0';

/**
 * Throws `LLMT_E_PLUGIN_API_VERSION` naming the plugin, its range and this core's API
 * version when they do not fit.
 */
export function checkApiVersion(plugin: LlmteamPlugin): void {
  if (typeof plugin.apiVersion !== 'string' || !semver.validRange(plugin.apiVersion)) {
    throw new LlmteamError(
      'LLMT_E_PLUGIN_API_VERSION',
      `plugin "${plugin.name}" declares apiVersion ${JSON.stringify(plugin.apiVersion)}, which is not a semver range; use e.g. "^1.0.0"`,
      { details: { plugin: plugin.name, range: plugin.apiVersion, apiVersion: PLUGIN_API_VERSION } },
    );
  }
  if (!semver.satisfies(PLUGIN_API_VERSION, plugin.apiVersion)) {
    throw new LlmteamError(
      'LLMT_E_PLUGIN_API_VERSION',
      `plugin "${plugin.name}"@${plugin.version} needs plugin API ${plugin.apiVersion}, but @llmteam/core ${CORE_VERSION} provides plugin API ${PLUGIN_API_VERSION}; install a version of the plugin built for API ${PLUGIN_API_VERSION}`,
      {
        details: {
          plugin: plugin.name,
          range: plugin.apiVersion,
          apiVersion: PLUGIN_API_VERSION,
          coreVersion: CORE_VERSION,
        },
      },
    );
  }
}
