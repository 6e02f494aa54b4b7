import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type ConfiguredPlugin,
  createEngine,
  type Engine,
  type EngineOptions,
  type LlmteamPlugin,
  type Logger,
  licenceTerms,
  type PluginApi,
  type Store,
  type StoreFactory,
} from '@llmteam/core';
import { GatewayError } from '../errors.js';
import { withCommitTiming } from '../observability/commit-timing.js';
import { createTracing, type Tracing } from '../observability/tracing.js';
import { auditOptions } from './audit-config.js';
import { directoryFrom } from './directory-config.js';
import { importPlugins } from './import-plugin.js';
import { type LoadedLicence, licenceFrom } from './licence-config.js';
import type { LoadedConfig, PluginEntry } from './load-config.js';
import { sealingKeysFrom } from './sealing-keys.js';
import { secretsFrom } from './secrets-config.js';

/** The default store: SQLite in `.llmteam/` under the working directory. */
export const DEFAULT_STORE: PluginEntry = ['@llmteam/store-sqlite', { path: '.llmteam/llmteam.sqlite' }];

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  loaded: LoadedConfig;
  logger: Logger;
  /** Where relative store paths (and the default SQLite file) resolve. @default the config's directory */
  dataDir?: string;
  /** Replaces the configured store (tests, `--memory`). */
  store?: Store;
  /** Extra engine options (clock, linkSecret, publicUrl, ...). */
  engine?: Partial<Omit<EngineOptions, 'store' | 'plugins'>>;
  /** Where spans go instead of the config's OTLP collector (tests, benchmarks). */
  spanExporter?: Parameters<typeof createTracing>[2];
}

/** A store and an engine made from a config; `close` stops the engine and closes the store. */
export interface Runtime {
  engine: Engine;
  store: Store;
  plugins: ConfiguredPlugin[];
  /** The tracer provider, when the config turns tracing on. */
  tracing?: Tracing;
  /** The verified licence whose terms the engine holds tenants to, when one is configured. */
  licence?: LoadedLicence;
  close(): Promise<void>;
}

/**
 * Runs a store plugin's `setup` only to collect the store factories it registers: the store
 * must exist before the engine (and the engine sets up the other plugins).
 */
async function storeFactoryOf(entry: ConfiguredPlugin, logger: Logger): Promise<StoreFactory> {
  const factories: Array<[string, StoreFactory]> = [];
  const ignore = () => {};
  const api: PluginApi = {
    coreVersion: '',
    apiVersion: '',
    options: entry.options ?? {},
    logger: logger.child({ plugin: entry.plugin.name }),
    secrets: { get: async () => undefined },
    redact: (text) => text,
    registerStore: (name, factory) => factories.push([name, factory]),
    registerStepType: ignore,
    registerChannel: ignore,
    registerLlmProvider: ignore,
    registerActionHandler: ignore,
    registerAction: ignore,
    registerActionType: ignore,
    registerActionCoordination: ignore,
    registerResource: ignore,
    registerSecretsProvider: ignore,
    registerKeyProvider: ignore,
    registerRoute: ignore,
    forTenant: (tenantId) => ({
      tenantId,
      registerLlmProvider: ignore,
      registerResource: ignore,
      registerSecretsProvider: ignore,
    }),
  };
  await entry.plugin.setup(api);
  const factory = factories[0]?.[1];
  if (!factory)
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `"${entry.plugin.name}" registers no store (api.registerStore); name a store plugin in "store"`,
    );
  return factory;
}

/** Resolves relative file paths in store options against the config directory. */
function resolvePaths(options: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out = { ...options };
  for (const key of ['path', 'filename', 'file', 'database']) {
    const value = out[key];
    if (typeof value === 'string' && value !== ':memory:' && !value.includes('://') && !isAbsolute(value)) {
      out[key] = resolve(dir, value);
      mkdirSync(dirname(out[key] as string), { recursive: true });
    }
  }
  return out;
}

/** Loads the configured store and plugins and creates the engine (not started). */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { loaded, logger } = options;
  const dataDir = options.dataDir ?? loaded.dir;
  // Checked before anything is opened: a bad or expired licence stops the start, naming why.
  const licence = licenceFrom(loaded.config.licence, loaded.dir, options.engine?.clock?.now() ?? Date.now());
  let store = options.store;
  if (!store) {
    const entry = loaded.config.store ?? DEFAULT_STORE;
    const [name, storeOptions] = typeof entry === 'string' ? [entry, {}] : [entry[0], entry[1] ?? {}];
    let plugin: ConfiguredPlugin;
    if (loaded.config.store === undefined) {
      // The default store is a dependency of the gateway: imported from here, not from the user's directory.
      const mod = (await import('@llmteam/store-sqlite')) as { default: LlmteamPlugin };
      plugin = { plugin: mod.default, options: resolvePaths(storeOptions, dataDir) };
    } else {
      [plugin] = await importPlugins([[name, resolvePaths(storeOptions, dataDir)]], loaded.dir);
    }
    store = await (await storeFactoryOf(plugin, logger))(plugin.options ?? {});
  }
  // Timed for the gateway's `/metrics` (store commit latency); otherwise the same store.
  store = withCommitTiming(store);
  const plugins = await importPlugins(loaded.config.plugins ?? [], loaded.dir);
  const telemetry = loaded.config.telemetry;
  const tracing =
    telemetry && (telemetry.otlp || options.spanExporter)
      ? createTracing(telemetry, logger, options.spanExporter)
      : undefined;
  const engine = createEngine({
    ...(tracing ? { telemetry: { tracerProvider: tracing.provider } } : {}),
    ...options.engine,
    store,
    plugins,
    logger,
    ...(loaded.config.directory && !options.engine?.directory
      ? { directory: directoryFrom(loaded.config.directory) }
      : {}),
    permissions: { ...loaded.config.permissions, ...options.engine?.permissions },
    actions: { ...loaded.config.actions, ...options.engine?.actions },
    outbound: options.engine?.outbound ?? loaded.config.outbound,
    audit: options.engine?.audit ?? auditOptions(loaded.config.audit, loaded.dir),
    retention: options.engine?.retention ?? loaded.config.retention,
    tenancy: {
      ...(licence ? { terms: licenceTerms(licence.licence) } : {}),
      ...options.engine?.tenancy,
    },
    secrets: options.engine?.secrets ?? secretsFrom(loaded.config.secrets, loaded.dir),
    sealing: options.engine?.sealing ?? {
      keys: sealingKeysFrom(loaded.config.sealing, loaded.dir),
    },
    tokens: options.engine?.tokens ?? {
      prices: loaded.config.llm?.prices,
      tenantBudgets: loaded.config.llm?.tenant_budgets,
    },
  });
  const owned = store;
  return {
    engine,
    store: owned,
    plugins,
    tracing,
    ...(licence ? { licence } : {}),
    async close() {
      await engine.stop();
      await tracing?.shutdown();
      await owned.close();
    },
  };
}
