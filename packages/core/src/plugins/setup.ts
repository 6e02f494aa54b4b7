import type { ActionRegistry } from '../actions/action-registry.js';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { Logger, RuntimeResources, SecretsProvider } from '../catalog/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import type { NotificationChannel } from '../notify/types.js';
import type { ConfiguredPlugin, LlmteamPlugin, PluginApi, StoreFactory } from './types.js';
import { CORE_VERSION, checkApiVersion, PLUGIN_API_VERSION } from './version.js';

/** Where plugins put what they register. */
export interface PluginRegistry {
  catalog: StepCatalog;
  logger: Logger;
  channels: NotificationChannel[];
  resources: RuntimeResources;
  secrets: SecretsProvider[];
  stores?: Map<string, StoreFactory>;
  /** The engine's actions; without it, action registrations are refused. */
  actions?: ActionRegistry;
}

function actionsOf(registry: PluginRegistry, plugin: string): ActionRegistry {
  if (!registry.actions)
    throw new LlmteamError(
      'LLMT_E_PLUGIN_SETUP',
      `plugin "${plugin}" registers actions, but this host has none`,
    );
  return registry.actions;
}

/** Runs each plugin's `setup` against the registry, in order. Errors name the plugin and the hook. */
export async function setupPlugins(
  plugins: Array<LlmteamPlugin | ConfiguredPlugin>,
  registry: PluginRegistry,
): Promise<void> {
  for (const entry of plugins) {
    const { plugin, options } = 'plugin' in entry ? entry : { plugin: entry, options: {} };
    checkApiVersion(plugin);
    const api: PluginApi = {
      coreVersion: CORE_VERSION,
      apiVersion: PLUGIN_API_VERSION,
      options: options ?? {},
      logger: registry.logger.child({ plugin: plugin.name }),
      registerStepType: (def) => registry.catalog.register(def),
      registerStore: (name, factory) => registry.stores?.set(name, factory),
      registerChannel: (channel) => registry.channels.push(channel),
      registerLlmProvider: (provider) => {
        registry.resources.llms[provider.name] = provider;
      },
      registerActionHandler: (name, handler) => {
        registry.resources.actions[name] = handler;
        actionsOf(registry, plugin.name).defineFunction(
          name,
          (input, ctx) =>
            handler(input, {
              tenantId: ctx.tenantId,
              runId: ctx.runId ?? '',
              idempotencyKey: ctx.idempotencyKey,
              signal: ctx.signal,
            }),
          {},
          plugin.name,
        );
      },
      registerAction: (name, action, config) => {
        const actions = actionsOf(registry, plugin.name);
        if (typeof action === 'function') actions.defineFunction(name, action, config, plugin.name);
        else actions.define(name, { ...action, ...config } as typeof action, plugin.name);
      },
      registerActionType: (handler) => actionsOf(registry, plugin.name).registerType(handler),
      registerActionCoordination: (coordination) =>
        actionsOf(registry, plugin.name).useCoordination(coordination),
      registerResource: (kind, name, value) => {
        registry.resources[kind][name] = value;
      },
      registerSecretsProvider: (provider) => registry.secrets.unshift(provider),
    };
    try {
      await plugin.setup(api);
    } catch (cause) {
      if (isLlmteamError(cause) && cause.code.startsWith('LLMT_E_PLUGIN')) throw cause;
      throw new LlmteamError(
        'LLMT_E_PLUGIN_SETUP',
        `plugin "${plugin.name}" failed in setup(): ${(cause as Error)?.message ?? cause}`,
        {
          cause,
          details: { plugin: plugin.name, hook: 'setup' },
        },
      );
    }
  }
}
