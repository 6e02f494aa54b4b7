import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Engine, type Logger, redactingLogger } from '@llmteam/core';
import type { GraphQLSchema } from 'graphql';
import { ensureBootstrapKey } from './auth/api-keys.js';
import { useApiKeyAuth } from './auth/use-api-key-auth.js';
import type { GatewayInfo } from './context.js';
import { GatewayMetrics } from './observability/gateway-metrics.js';
import { type ComplexityLimitOptions, useComplexityLimit } from './protection/complexity-limit.js';
import { type DepthLimitOptions, useDepthLimit } from './protection/depth-limit.js';
import { composeFormatError, type GatewayPlugin } from './protection/gateway-plugin.js';
import { useRequestLogging } from './protection/request-logging.js';
import { useMaskedErrors } from './protection/use-masked-errors.js';
import { useSealedRedaction } from './protection/use-sealed-redaction.js';
import { useSecretRedaction } from './protection/use-secret-redaction.js';
import { buildGatewaySchema } from './schema/build-gateway-schema.js';
import { createHttpServer } from './server/http-server.js';
import { createShutdown } from './server/shutdown.js';
import { createWsServer, type SessionLimitOptions } from './server/ws-server.js';
import { GATEWAY_VERSION } from './version.js';

export { SHUTDOWN_CLOSE_CODE } from './server/shutdown.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The engine to serve; the gateway starts it and stops it on {@link Gateway.stop}. */
  engine: Engine;
  /** TCP port; 0 picks a free one. @default 4000 ({@link DEFAULT_GATEWAY_OPTIONS}) */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Structured logger (pino). @default the engine's logger */
  logger?: Logger;
  /** Show unknown errors' messages and stack traces. @default process.env.NODE_ENV === "development" */
  development?: boolean;
  /** Largest request body (and graphql-ws message), in bytes or a size string. @default "1mb" */
  bodyLimit?: string | number;
  /** @default { maxDepth: 10 } */
  depthLimit?: DepthLimitOptions;
  /** @default { maxComplexity: 5000, defaultListSize: 10 } */
  complexityLimit?: ComplexityLimitOptions;
  /** Limits and re-checks of live graphql-ws sessions. @default { maxSubscriptionsPerSocket: 100, maxSocketsPerKey: 20, sessionCheckIntervalMs: 1000 } */
  sessions?: SessionLimitOptions;
  /** Extra plugins (run after the built-in ones). */
  plugins?: GatewayPlugin[];
  /** An admin key of tenant `default` to create or confirm at start (`LLMTEAM_BOOTSTRAP_API_KEY`). */
  bootstrapApiKey?: string;
  /** Secret the engine signs answer links with (the engine's `linkSecret`); enables `/respond/:token`. */
  linkSecret?: string;
  /** Serve the web console at `/` and its GraphQL explorer at `GET /graphql` (browsers). @default true */
  console?: boolean;
  /** Folder of a built console to serve instead of the `@llmteam/console` package's. */
  consoleDir?: string;
  /** How long shutdown waits for in-flight work. @default 10000 */
  shutdownGraceMs?: number;
  /** Serve Prometheus metrics at `GET /metrics`. @default true */
  metrics?: boolean;
  /** Allow schema introspection to callers with a key (never to anonymous ones). @default process.env.NODE_ENV !== "production" */
  introspection?: boolean;
  /** Keep "Did you mean" hints in errors for callers with a key (never for anonymous ones). @default process.env.NODE_ENV !== "production" */
  suggestions?: boolean;
}

/** The plain-value defaults of {@link GatewayOptions}, in one place; the gateway reads them from here. */
export const DEFAULT_GATEWAY_OPTIONS = Object.freeze({
  /** @default 4000 */
  port: 4000,
  /** @default "127.0.0.1" */
  host: '127.0.0.1',
  /** @default "1mb" */
  bodyLimit: '1mb',
  /** @default true */
  console: true,
  /** @default true */
  metrics: true,
  /** @default 10000 */
  shutdownGraceMs: 10_000,
}) satisfies Partial<GatewayOptions>;

/** A running gateway. */
export interface Gateway {
  /** `http://host:port/graphql` (with `127.0.0.1` for a wildcard host). */
  readonly url: string;
  /** `ws://host:port/graphql`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly schema: GraphQLSchema;
  readonly httpServer: Server;
  /**
   * Graceful shutdown: stops accepting, closes subscriptions with code 1001 and `reason`,
   * drains HTTP requests, lets the engine finish in-flight commits.
   */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts the GraphQL gateway: HTTP and graphql-ws on one port, path `/graphql`, plus the
 * HTTP routes plugins registered on the engine. Auth, limits and error masking are gateway
 * plugins applied to both transports.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine } = options;
  // The engine's logger scrubs resolved secrets; a logger given here gets the same redactor.
  const logger = options.logger ? redactingLogger(options.logger, engine.redactor) : engine.logger;
  const development = options.development ?? process.env.NODE_ENV === 'development';
  const production = process.env.NODE_ENV === 'production';
  const introspection = options.introspection ?? !production;
  const suggestions = options.suggestions ?? !production;
  let shuttingDown = false;
  let recheck: () => Promise<void> = async () => {};
  const info: GatewayInfo = {
    version: GATEWAY_VERSION,
    startedAt: Date.now(),
    storeName: engine.store.name,
    isShuttingDown: () => shuttingDown,
    recheckSessions: () => void recheck(),
  };

  await engine.start();
  if (options.bootstrapApiKey) await ensureBootstrapKey(engine.store, options.bootstrapApiKey);

  const schema = await buildGatewaySchema();
  const plugins: GatewayPlugin[] = [
    useApiKeyAuth({ engine }),
    useDepthLimit(options.depthLimit),
    useComplexityLimit(options.complexityLimit),
    useRequestLogging(logger),
    useSealedRedaction(),
    ...(options.plugins ?? []),
    useMaskedErrors({
      development,
      onMasked: (error) => logger.error({ err: error }, 'unexpected error (masked for the client)'),
    }),
    useSecretRedaction(engine.redactor),
  ];
  const formatError = composeFormatError(plugins);
  const bodyLimit = options.bodyLimit ?? DEFAULT_GATEWAY_OPTIONS.bodyLimit;
  const metrics =
    (options.metrics ?? DEFAULT_GATEWAY_OPTIONS.metrics) ? new GatewayMetrics(engine) : undefined;

  const http = await createHttpServer({
    engine,
    logger,
    info,
    schema,
    plugins,
    formatError,
    bodyLimit,
    introspection,
    suggestions,
    development,
    console: options.console ?? DEFAULT_GATEWAY_OPTIONS.console,
    ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
    ...(metrics ? { metrics } : {}),
    ...(options.linkSecret ? { linkSecret: options.linkSecret } : {}),
  });
  const ws = createWsServer({
    server: http.server,
    engine,
    logger,
    info,
    schema,
    plugins,
    formatError,
    // The same size limit as HTTP bodies: graphql-ws parses a message before it authenticates.
    maxPayload: byteSize(bodyLimit),
    introspection,
    suggestions,
    ...(options.sessions ? { limits: options.sessions } : {}),
  });
  recheck = ws.recheck;

  const httpServer = http.server;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(
      options.port ?? DEFAULT_GATEWAY_OPTIONS.port,
      options.host ?? DEFAULT_GATEWAY_OPTIONS.host,
      () => {
        httpServer.off('error', reject);
        resolve();
      },
    );
  });
  const address = httpServer.address() as AddressInfo;
  const host =
    !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${address.port}/graphql`;
  logger.info({ url, store: engine.store.name }, 'gateway listening');

  const shutdown = createShutdown({
    logger,
    engine,
    server: httpServer,
    begin: () => {
      shuttingDown = true;
    },
    closeSockets: (code, reason) => ws.close(code, reason),
    drainHttp: () => http.stop(),
    graceMs: options.shutdownGraceMs ?? DEFAULT_GATEWAY_OPTIONS.shutdownGraceMs,
  });
  const stop = async (reason?: string) => {
    try {
      await shutdown(reason);
    } finally {
      metrics?.close();
    }
  };
  return { url, wsUrl: url.replace(/^http/, 'ws'), port: address.port, schema, httpServer, stop };
}

/** Bytes of a size such as `1mb`, `512kb` or a number of bytes. */
function byteSize(limit: string | number): number {
  if (typeof limit === 'number') return limit;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!m) return 1024 * 1024;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[
    (m[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'
  ];
  return Math.floor(Number(m[1]) * unit);
}
