import type { ActionCoordination } from '../actions/action-policies.js';
import type { ActionConfig, ActionFunction, ActionTypeHandler } from '../actions/types.js';
import type { ActionHandler, Logger, SecretsProvider, StepTypeDefinition } from '../catalog/types.js';
import type { LlmProvider } from '../llm/types.js';
import type { NotificationChannel } from '../notify/types.js';
import type { KeyProvider } from '../sealing/key-provider.js';
import type { Store } from '../store/types.js';
import type { HttpRoute } from './http-route.js';
import type { TenantRegistrar } from './tenant-resources.js';

/** Creates a store from the options given in `llmteam.config.json`. */
export type StoreFactory = (options: Record<string, unknown>) => Store | Promise<Store>;

/** What a plugin's `setup` receives to register its parts. */
export interface PluginApi {
  /** Version of `@llmteam/core` that loaded the plugin. */
  readonly coreVersion: string;
  /** Plugin API version the plugin was checked against. */
  readonly apiVersion: string;
  /** Options from the config entry (`["@acme/plugin", { ...options }]`). */
  readonly options: Record<string, unknown>;
  readonly logger: Logger;
  /**
   * Reads secrets through the host's secrets providers (those plugins registered first), so
   * a plugin takes secret names as options, never secret values, and reads them when needed.
   */
  readonly secrets: SecretsProvider;
  /**
   * `text` with every secret the host resolved replaced by `"[secret]"`: for messages a
   * plugin builds from what a far side answered (an LLM server's error body), scrubbed
   * before they are cut short, so a secret cut in two leaves no half behind.
   */
  redact(text: string): string;
  registerStepType(definition: StepTypeDefinition): void;
  registerStore(name: string, factory: StoreFactory): void;
  registerChannel(channel: NotificationChannel): void;
  /** Registers an LLM provider under `provider.name`; `llm_agent` steps name it in `provider`. */
  registerLlmProvider(provider: LlmProvider): void;
  /** @deprecated use {@link PluginApi.registerAction}: registers a function action. */
  registerActionHandler(name: string, handler: ActionHandler): void;
  /**
   * Registers a named action: a function (a `function` action, with optional limits and
   * schemas in `config`) or a config of any registered type.
   */
  registerAction(name: string, action: ActionFunction | ActionConfig, config?: Partial<ActionConfig>): void;
  /** Registers the handler of an action type (`database`, `message_queue`, `grpc`, ...). */
  registerActionType(handler: ActionTypeHandler): void;
  /** Makes action rate limits and breaker state cluster-wide (e.g. on Redis). */
  registerActionCoordination(coordination: ActionCoordination): void;
  /** Named clients or stores that step handlers reach through `ctx.resources`. */
  registerResource(kind: 'stores' | 'clients', name: string, value: unknown): void;
  /**
   * Adds a secrets provider (a vault, a cloud secret manager); providers registered later
   * are asked first, the host's own (environment or mounted files) last.
   */
  registerSecretsProvider(provider: SecretsProvider): void;
  /**
   * Sets the key provider that wraps the data keys of sealed fields (a key management
   * service); it takes precedence over the host's configured keys.
   */
  registerKeyProvider(provider: KeyProvider): void;
  /**
   * Adds an HTTP endpoint to the server hosting the engine (the gateway mounts it on its
   * port). Two plugins registering the same method and path are refused at start.
   */
  registerRoute(route: HttpRoute): void;
  /**
   * Registers LLM providers, clients, stores and secrets providers for one tenant only:
   * that tenant's steps resolve them (over the engine-wide ones of the same name), no other
   * tenant's ever do.
   */
  forTenant(tenantId: string): TenantRegistrar;
}

/** An llmteam plugin: the default export of a plugin package. */
export interface LlmteamPlugin {
  /** Package name, e.g. `@llmteam/notify-slack`. */
  name: string;
  version: string;
  /** Semver range of the plugin API this plugin works with, e.g. `^1.0.0`. */
  apiVersion: string;
  /** Registers the plugin's parts; may be async. */
  setup(api: PluginApi): void | Promise<void>;
}

/** A plugin with the options it was configured with. */
export interface ConfiguredPlugin {
  plugin: LlmteamPlugin;
  options?: Record<string, unknown>;
  /**
   * Scopes the plugin to one tenant: its LLM providers, resources and secrets providers are
   * registered for that tenant only (see {@link PluginApi.forTenant}); everything else it
   * registers is engine-wide. @default engine-wide
   */
  tenantId?: string;
}
