import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { Engine, Logger } from '@llmteam/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { type AuthInfo, authenticate, ensureBootstrapKey, parseBearer } from './auth/api-keys.js';
import type { GatewayContext, GatewayInfo } from './context.js';
import { graphql } from './graphql-js.js';
import { mountConsole } from './http/console.js';
import { mountRespondLinks } from './http/respond-links.js';
import { mountSlackInteractions, type SlackInteractionsOptions } from './http/slack-interactions.js';
import { GatewayMetrics } from './observability/gateway-metrics.js';
import { type ComplexityLimitOptions, useComplexityLimit } from './protection/complexity-limit.js';
import { type DepthLimitOptions, useDepthLimit } from './protection/depth-limit.js';
import type { GatewayPlugin } from './protection/gateway-plugin.js';
import { createErrorFormatter } from './protection/masked-errors.js';
import { useRequestLogging } from './protection/request-logging.js';
import { buildGatewaySchema } from './schema/build-gateway-schema.js';
import { GATEWAY_VERSION } from './version.js';

const { GraphQLError, parse, validate } = graphql;

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** The engine to serve; the gateway starts it and stops it on {@link Gateway.stop}. */
  engine: Engine;
  /** TCP port; 0 picks a free one. @default 4000 */
  port?: number;
  /** Interface to listen on. @default "0.0.0.0" */
  host?: string;
  /** Structured logger (pino). @default the engine's logger */
  logger?: Logger;
  /** Show unknown errors' messages and stack traces. @default process.env.NODE_ENV === "development" */
  development?: boolean;
  /** Largest request body, in bytes or a size string. @default "1mb" */
  bodyLimit?: string | number;
  /** @default { maxDepth: 10 } */
  depthLimit?: DepthLimitOptions;
  /** @default { maxComplexity: 2000, defaultListSize: 10 } */
  complexityLimit?: ComplexityLimitOptions;
  /** Extra plugins (run after the built-in ones). */
  plugins?: GatewayPlugin[];
  /** An admin key of tenant `default` to create or confirm at start (`LLMTEAM_BOOTSTRAP_API_KEY`). */
  bootstrapApiKey?: string;
  /** Secret the engine signs answer links with (the engine's `linkSecret`); enables `/respond/:token`. */
  linkSecret?: string;
  /** Slack signing secret; enables `POST /slack/interactions`. */
  slackSigningSecret?: string;
  /**
   * Maps the Slack user who clicked to the actor that answers (matched against the
   * interaction's assignees). @default `{ subject: user.name, groups: ["slack:" + user.id] }`
   */
  slackActor?: SlackInteractionsOptions['resolveActor'];
  /** Serve the approval inbox page at `/`. @default true */
  console?: boolean;
  /** How long shutdown waits for in-flight work. @default 10000 */
  shutdownGraceMs?: number;
  /** Allow schema introspection. @default true */
  introspection?: boolean;
  /** Serve Prometheus metrics at `GET /metrics`. @default true */
  metrics?: boolean;
}

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

/** The close code for subscriptions ended by a shutdown. */
export const SHUTDOWN_CLOSE_CODE = 1001;

/** Starts the GraphQL gateway: HTTP and graphql-ws on one port, path `/graphql`. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine } = options;
  const logger = options.logger ?? engine.logger;
  const development = options.development ?? process.env.NODE_ENV === 'development';
  const store = engine.store;
  let shuttingDown = false;
  const info: GatewayInfo = {
    version: GATEWAY_VERSION,
    startedAt: Date.now(),
    isShuttingDown: () => shuttingDown,
  };

  await engine.start();
  if (options.bootstrapApiKey) await ensureBootstrapKey(store, options.bootstrapApiKey);

  const schema = await buildGatewaySchema();
  const plugins: GatewayPlugin[] = [
    useDepthLimit(options.depthLimit),
    useComplexityLimit(options.complexityLimit),
    useRequestLogging(logger),
    ...(options.plugins ?? []),
  ];
  const formatError = createErrorFormatter({
    development,
    onMasked: (error) => logger.error({ err: error }, 'unexpected error (masked for the client)'),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  // The same size limit as HTTP bodies: graphql-ws parses a message before it authenticates.
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: byteSize(options.bodyLimit ?? '1mb'),
  });
  const socketAuth = new WeakMap<WebSocket, AuthInfo>();

  const wsCleanup = useServer<
    Record<string, unknown>,
    { socket: WebSocket; request: import('node:http').IncomingMessage }
  >(
    {
      schema,
      context: (ctx): GatewayContext => ({ engine, auth: socketAuth.get(ctx.extra.socket), logger, info }),
      onConnect: async (ctx) => {
        if (shuttingDown) {
          // Not an auth failure: 1013 (try again later) lets clients reconnect to the next instance.
          ctx.extra.socket.close(1013, 'gateway shutting down');
          return false;
        }
        const params = ctx.connectionParams ?? {};
        const auth = await authenticate(
          store,
          parseBearer(params.authorization ?? params.Authorization),
        ).catch(() => undefined);
        // false closes the socket with 4403 Forbidden.
        if (!auth) return false;
        socketAuth.set(ctx.extra.socket, auth);
        return true;
      },
      onSubscribe: (_ctx, _id, payload) => {
        let document: import('graphql').DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        const check = {
          schema,
          document,
          operationName: payload.operationName,
          variables: payload.variables,
        };
        for (const plugin of plugins) {
          const refused = plugin.onSubscribe?.(check);
          if (refused?.length) return refused;
        }
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return undefined;
        return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    csrfPrevention: true,
    introspection: options.introspection ?? true,
    includeStacktraceInErrorResponses: development,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ...plugins.flatMap((p) => (p.apollo ? [p.apollo] : [])),
    ],
    logger: {
      debug: (msg) => logger.debug({}, String(msg)),
      info: (msg) => logger.info({}, String(msg)),
      warn: (msg) => logger.warn({}, String(msg)),
      error: (msg) => logger.error({}, String(msg)),
    },
  });
  await apollo.start();

  const metrics = options.metrics === false ? undefined : new GatewayMetrics(engine);
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      const { contentType, body } = await metrics.render();
      res.type(contentType).send(body);
    });
  }
  app.get('/healthz', (_req, res) => {
    res
      .status(shuttingDown ? 503 : 200)
      .json({ status: shuttingDown ? 'shutting_down' : 'ok', version: GATEWAY_VERSION, store: store.name });
  });
  const bodyLimit = options.bodyLimit ?? '1mb';
  app.use(
    '/graphql',
    express.json({ limit: bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<GatewayContext> => {
        const header = req.headers.authorization;
        if (header === undefined) return { engine, logger, info };
        const auth = await authenticate(store, parseBearer(header));
        if (!auth) {
          throw new GraphQLError(
            'Invalid API key: send "Authorization: Bearer llmt_..." with a key of this gateway',
            {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            },
          );
        }
        return { engine, auth, logger, info };
      },
    }),
  );
  if (options.linkSecret) mountRespondLinks(app, { engine, secret: options.linkSecret, logger, bodyLimit });
  mountSlackInteractions(app, {
    engine,
    signingSecret: options.slackSigningSecret,
    logger,
    ...(options.slackActor ? { resolveActor: options.slackActor } : {}),
  });
  if (options.console ?? true) mountConsole(app);

  // Body parser errors (too large, malformed JSON) become GraphQL-shaped JSON errors.
  app.use(
    (
      error: { status?: number; type?: string; message?: string },
      _req: Request,
      res: Response,
      next: NextFunction,
    ) => {
      if (res.headersSent) return next(error);
      if (error.status === 413 || error.type === 'entity.too.large') {
        res.status(413).json({
          errors: [
            {
              message: `Request body is larger than ${bodyLimit}`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
        return;
      }
      if (error.status === 400) {
        res.status(400).json({
          errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
        });
        return;
      }
      logger.error({ err: error }, 'unexpected HTTP error');
      res.status(500).json({
        errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 4000, options.host ?? '0.0.0.0', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const host =
    !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${address.port}/graphql`;
  logger.info({ url, store: store.name }, 'gateway listening');

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'Server shutting down') => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info({ reason }, 'gateway shutting down');
      for (const socket of wsServer.clients) socket.close(SHUTDOWN_CLOSE_CODE, reason);
      await Promise.resolve(wsCleanup.dispose()).catch(() => undefined);
      // Drains in-flight HTTP requests (the drain plugin closes idle keep-alive sockets).
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await engine.stop({ graceMs: options.shutdownGraceMs ?? 10_000 });
      metrics?.close();
      logger.info({}, 'gateway stopped');
    })();
    return stopping;
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
