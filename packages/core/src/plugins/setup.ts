import type { ActionRegistry } from '../actions/action-registry.js';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { Logger, RuntimeResources, SecretsProvider } from '../catalog/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import type { NotificationChannel } from '../notify/types.js';
import type { KeyProvider } from '../sealing/key-provider.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import type { HttpRoute } from './http-route.js';
import { type TenantResources, tenantSecrets } from './tenant-resources.js';
import type { ConfiguredPlugin, LlmteamPlugin, PluginApi, StoreFactory } from './types.js';
import { CORE_VERSION, checkApiVersion, PLUGIN_API_VERSION } from './version.js';

/** Where plugins put what they register. */
export interface PluginRegistry {
  catalog: StepCatalog;
  logger: Logger;
  channels: NotificationChannel[];
  resources: RuntimeResources;
  secrets: SecretsProvider[];
  /** What `api.secrets` reads through (the engine's chain, which registers values for redaction). @default the providers in turn */
  secretsResolver?: SecretsProvider;
  /** What `api.redact` scrubs with (the engine's redactor). @default nothing is scrubbed */
  redactor?: SecretRedactor;
  /** Sealing key providers; absent: `registerKeyProvider` is refused. */
  keyProviders?: KeyProvider[];
  stores?: Map<string, StoreFactory>;
  /** Routes plugins register; absent: `registerRoute` is refused. */
  routes?: HttpRoute[];
  /** The engine's actions; without it, action registrations are refused. */
  actions?: ActionRegistry;
  /** Resources per tenant; without it, `forTenant` and tenant-scoped plugins are refused. */
  tenants?: TenantResources;
}

function tenantsOf(registry: PluginRegistry, plugin: string): TenantResources {
  if (!registry.tenants)
    throw new LlmteamError(
      'LLMT_E_PLUGIN_SETUP',
      `plugin "${plugin}" registers resources for a tenant, but this host keeps none per tenant`,
    );
  return registry.tenants;
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
    const { plugin, options, tenantId } =
      'plugin' in entry ? entry : { plugin: entry, options: {}, tenantId: undefined };
    checkApiVersion(plugin);
    const scoped = tenantId === undefined ? undefined : tenantsOf(registry, plugin.name).registrar(tenantId);
    const api: PluginApi = {
      coreVersion: CORE_VERSION,
      apiVersion: PLUGIN_API_VERSION,
      options: options ?? {},
      logger: registry.logger.child({ plugin: plugin.name }),
      secrets:
        registry.secretsResolver ??
        (registry.tenants
          ? tenantSecrets(registry.tenants, registry.secrets)
          : {
              async get(name, scope) {
                for (const provider of registry.secrets) {
                  const value = await provider.get(name, scope);
                  if (value !== undefined) return value;
                }
                return undefined;
              },
            }),
      redact: (text) => (registry.redactor ? registry.redactor.scrub(text) : text),
      registerStepType: (def) => registry.catalog.register(def),
      registerStore: (name, factory) => registry.stores?.set(name, factory),
      registerChannel: (channel) => registry.channels.push(channel),
      registerLlmProvider: (provider) => {
        if (scoped) scoped.registerLlmProvider(provider);
        else registry.resources.llms[provider.name] = provider;
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
        if (scoped) scoped.registerResource(kind, name, value);
        else registry.resources[kind][name] = value;
      },
      registerSecretsProvider: (provider) => {
        if (scoped) scoped.registerSecretsProvider(provider);
        else registry.secrets.unshift(provider);
      },
      forTenant: (id) => tenantsOf(registry, plugin.name).registrar(id),
      registerKeyProvider: (provider) => {
        if (!registry.keyProviders)
          throw new LlmteamError(
            'LLMT_E_PLUGIN_SETUP',
            `plugin "${plugin.name}" registers a key provider, but this host seals nothing`,
          );
        registry.keyProviders.unshift(provider);
      },
      registerRoute: (route) => addRoute(registry, plugin.name, route),
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

/** Checks and adds a plugin's route: one owner per method and path. */
function addRoute(registry: PluginRegistry, pluginName: string, route: HttpRoute): void {
  const fail = (message: string) =>
    new LlmteamError('LLMT_E_PLUGIN_SETUP', `plugin "${pluginName}" registerRoute: ${message}`, {
      details: { plugin: pluginName, hook: 'registerRoute' },
    });
  if (!registry.routes) throw fail('this host serves no HTTP routes');
  if (typeof route?.handler !== 'function') throw fail('the route needs a handler function');
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method))
    throw fail(`method must be GET, POST, PUT, PATCH or DELETE, got ${String(route.method)}`);
  if (typeof route.path !== 'string' || !route.path.startsWith('/') || route.path.startsWith('/graphql'))
    throw fail(`path must start with "/" and not be /graphql, got ${String(route.path)}`);
  if (registry.routes.some((r) => r.method === route.method && r.path === route.path))
    throw fail(`${route.method} ${route.path} is already registered by another plugin`);
  registry.routes.push({ ...route });
}
