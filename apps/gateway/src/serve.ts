import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Clock, isLlmteamError, type Logger, type Store } from '@llmteam/core';
import { generateApiKeySecret, hashApiKey } from './auth/api-keys.js';
import { createRuntime, type Runtime } from './config/create-runtime.js';
import { describeLicence } from './config/licence-config.js';
import { loadConfig } from './config/load-config.js';
import { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js';
import { createLogger } from './logger.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Config file; else `llmteam.config.*` in `cwd`; else SQLite under `./.llmteam/`. */
  config?: string;
  /** @default process.cwd() */
  cwd?: string;
  /**
   * Where `.llmteam/` lives (the default SQLite file, the admin key, the link secret).
   * @default the config file's directory, else `cwd`
   */
  dataDir?: string;
  /** @default 4000 */
  port?: number;
  /** Interface to listen on; `0.0.0.0` opens the gateway to the network. @default "127.0.0.1" */
  host?: string;
  /**
   * Admin key of tenant `default`. @default env LLMTEAM_BOOTSTRAP_API_KEY, else the
   * development key kept in `.llmteam/admin-key` (made on the first start, made again when
   * it was revoked)
   */
  bootstrapApiKey?: string;
  /** Directory of segment JSON files registered for tenant `default` at start. */
  segmentsDir?: string;
  /** Use this store instead of the configured one. */
  store?: Store;
  logger?: Logger;
  /** Extra gateway options. */
  gateway?: Partial<
    Omit<GatewayOptions, 'engine' | 'port' | 'host' | 'logger' | 'bootstrapApiKey' | 'linkSecret'>
  >;
  /** Engine poll interval for timers, in ms. @default 1000 */
  pollIntervalMs?: number;
  /** The engine's clock (tests pass a `ManualClock`); the licence's expiry is checked on it. @default the system clock */
  clock?: Clock;
  /** How long a run claim lasts without renewal (how soon another process takes over a crashed one's runs), in ms. @default 30000 */
  leaseMs?: number;
}

/** A served gateway with its runtime. */
export interface Served {
  gateway: Gateway;
  runtime: Runtime;
  /**
   * The bootstrap admin key; `generated` when it was made up now, `file` when it is the
   * development key kept on disk.
   */
  bootstrap: { secret: string; generated: boolean; file?: string };
  /** Segments registered from `segmentsDir`. */
  segments: string[];
  /** Graceful stop: gateway, then engine, then store. */
  close(reason?: string): Promise<void>;
}

/**
 * The answer-link secret: `LLMTEAM_LINK_SECRET`, else one kept in `.llmteam/link-secret`
 * so links already sent keep working after a restart.
 */
export function linkSecretFor(dir: string): string {
  if (process.env.LLMTEAM_LINK_SECRET) return process.env.LLMTEAM_LINK_SECRET;
  const file = join(dir, '.llmteam', 'link-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(dir, '.llmteam'), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * The development admin key kept in `.llmteam/admin-key`, so each start does not mint one
 * more key that stays valid; undefined when there is none or it was revoked.
 */
async function keptAdminKey(store: Store, file: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  const secret = readFileSync(file, 'utf8').trim();
  const record = secret ? await store.findApiKeyByHash(hashApiKey(secret)) : undefined;
  // A key that is gone from the store (a new database) is created again from the same secret.
  return !record || (!record.revokedAt && record.tenantId === 'default' && record.roles.includes('admin'))
    ? secret || undefined
    : undefined;
}

function keepAdminKey(file: string, secret: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Registers every `*.json` segment of a directory for tenant `default`. A file that cannot
 * be registered (invalid, or changed without a version bump) is logged with what to do and
 * skipped: the gateway keeps serving.
 */
async function registerSegments(runtime: Runtime, dir: string, logger: Logger): Promise<string[]> {
  const ids: string[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = join(dir, name);
    try {
      const definition: unknown = JSON.parse(readFileSync(file, 'utf8'));
      const record = await runtime.engine.forTenant('default').upsertSegment(definition);
      ids.push(record.segmentId);
      logger.info({ segmentId: record.segmentId, version: record.version, file: name }, 'segment registered');
    } catch (error) {
      const fix =
        isLlmteamError(error) && error.code === 'LLMT_E_SEGMENT_VERSION_EXISTS'
          ? `bump "version" in ${file} to register the change; the stored version keeps serving`
          : `fix ${file}; it is not registered`;
      logger.warn({ file, err: error }, `segment file skipped: ${(error as Error).message}; ${fix}`);
    }
  }
  return ids;
}

/** What `pnpm start` and `llmteam serve` print: URL, store, segments and the bootstrap key. */
/**
 * Prints the banner and closes the gateway gracefully on SIGINT / SIGTERM (once), exiting 0,
 * or 1 with a one-line reason when shutting down fails.
 */
export function runUntilSignalled(served: Served): void {
  process.stdout.write(`${bannerLines(served).join('\n')}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    served.close(`Server shutting down (${signal})`).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`llmteam: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** Where the server listens, and whether other machines can reach it. */
function listeningLine(address: ReturnType<Gateway['httpServer']['address']>): string {
  if (!address || typeof address === 'string') return `listening on ${address ?? 'an unknown address'}`;
  const loopback = address.address === '127.0.0.1' || address.address === '::1';
  return loopback
    ? `listening on ${address.address}:${address.port} (this machine only; --host 0.0.0.0 opens it to the network)`
    : `listening on ${address.address}:${address.port} (reachable from the network)`;
}

export function bannerLines(served: Served): string[] {
  return [
    '',
    `llmteam gateway: ${served.gateway.url}  (graphql-ws on ${served.gateway.wsUrl})`,
    listeningLine(served.gateway.httpServer.address()),
    `store: ${served.runtime.store.name}`,
    served.runtime.licence
      ? `licence: ${describeLicence(served.runtime.licence.licence)}`
      : 'licence: none (tenants keep their own tiers; tenant "default" is enterprise)',
    ...(served.segments.length ? [`segments: ${served.segments.join(', ')}`] : []),
    served.bootstrap.file
      ? `admin API key (tenant "default", ${served.bootstrap.generated ? 'new, ' : ''}kept in ${served.bootstrap.file} for the next start): ${served.bootstrap.secret}`
      : 'admin API key: the one in LLMTEAM_BOOTSTRAP_API_KEY',
    '',
  ];
}

/** Loads config, store and plugins, and serves the gateway (what `llmteam serve` and `pnpm start` run). */
export async function serve(options: ServeOptions = {}): Promise<Served> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? createLogger();
  const loaded = await loadConfig({ file: options.config, cwd });
  const dataDir = options.dataDir ? resolve(cwd, options.dataDir) : loaded.dir;
  const linkSecret = linkSecretFor(dataDir);
  const port = options.port ?? loaded.config.gateway?.port ?? 4000;
  const publicUrl = process.env.LLMTEAM_PUBLIC_URL ?? loaded.config.gateway?.publicUrl;
  const runtime = await createRuntime({
    loaded,
    logger,
    dataDir,
    ...(options.store ? { store: options.store } : {}),
    engine: {
      linkSecret,
      ...(publicUrl ? { publicUrl } : {}),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    },
  });
  if (runtime.licence) {
    const { licence, source } = runtime.licence;
    const left = Date.parse(licence.expiresAt) - runtime.engine.clock.now();
    logger.info(
      { licensee: licence.licensee, tier: licence.tier, expiresAt: licence.expiresAt, file: source },
      'licence verified',
    );
    if (left < 30 * 86_400_000)
      logger.warn(
        { expiresAt: licence.expiresAt, file: source },
        `the licence of ${licence.licensee} expires on ${licence.expiresAt}: no new run, segment or key is taken from then on; install a renewed licence before`,
      );
  }
  const fromEnv = options.bootstrapApiKey ?? process.env.LLMTEAM_BOOTSTRAP_API_KEY;
  let bootstrap: Served['bootstrap'];
  let gateway: Gateway;
  try {
    if (fromEnv) bootstrap = { secret: fromEnv, generated: false };
    else {
      const file = join(dataDir, '.llmteam', 'admin-key');
      await runtime.engine.start();
      const kept = await keptAdminKey(runtime.store, file);
      bootstrap = { secret: kept ?? generateApiKeySecret(), generated: !kept, file };
      if (!kept) keepAdminKey(file, bootstrap.secret);
    }
    gateway = await createGateway({
      ...options.gateway,
      engine: runtime.engine,
      port,
      host: options.host,
      logger,
      bootstrapApiKey: bootstrap.secret,
      linkSecret,
    });
  } catch (error) {
    await runtime.close().catch(() => undefined);
    throw error;
  }
  const segments = options.segmentsDir
    ? await registerSegments(runtime, resolve(cwd, options.segmentsDir), logger)
    : [];
  return {
    gateway,
    runtime,
    bootstrap,
    segments,
    async close(reason) {
      await gateway.stop(reason);
      // The engine stopped with the gateway: what it traced last is exported before exit.
      await runtime.tracing?.shutdown();
      await runtime.store.close();
    },
  };
}
