import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { type Engine, isLlmteamError, type Logger } from '@llmteam/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { GatewayContext, GatewayInfo } from '../context.js';
import { graphql } from '../graphql-js.js';
import { mountConsole } from '../http/console.js';
import { mountRespondLinks } from '../http/respond-links.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { incomingTrace } from '../observability/incoming-trace.js';
import { buildContext, type GatewayPlugin } from '../protection/gateway-plugin.js';
import { RequestReads } from '../schema/request-reads.js';
import { GATEWAY_VERSION } from '../version.js';

const { GraphQLError } = graphql;

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  engine: Engine;
  logger: Logger;
  info: GatewayInfo;
  schema: GraphQLSchema;
  plugins: readonly GatewayPlugin[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  bodyLimit: string | number;
  /** Introspection for authenticated callers (never for anonymous ones). */
  introspection: boolean;
  /** Keep "Did you mean" suggestions in errors of authenticated callers (never for anonymous ones). */
  suggestions: boolean;
  development: boolean;
  linkSecret?: string;
  console: boolean;
  /** Folder of a built console instead of the `@llmteam/console` package's. */
  consoleDir?: string;
  /** Serves `GET /metrics` when set. */
  metrics?: GatewayMetrics;
}

/** The HTTP side of a gateway: Express app, Apollo servers, plugin routes. */
export interface HttpServer {
  server: Server;
  /** Drains in-flight GraphQL requests (idle keep-alive sockets are closed). */
  stop(): Promise<void>;
}

/** What a request's context came to: the context, or why the caller is refused. */
type Resolved = { context: GatewayContext } | { error: unknown };

/**
 * Builds the HTTP server (not listening yet): `POST /graphql` through Apollo, `/healthz`,
 * answer links, the web console and every route plugins registered on the engine. Callers
 * without a key are served by a second Apollo instance with no introspection and no schema
 * hints in errors.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { engine, logger, info, schema, plugins, formatError, bodyLimit } = options;
  const app = express();
  app.disable('x-powered-by');
  const server = createServer(app);
  const resolved = new WeakMap<Request, Resolved>();

  const apolloLogger = {
    debug: (msg: unknown) => logger.debug({}, String(msg)),
    info: (msg: unknown) => logger.info({}, String(msg)),
    warn: (msg: unknown) => logger.warn({}, String(msg)),
    error: (msg: unknown) => logger.error({}, String(msg)),
  };
  const apollo = (authenticated: boolean) =>
    new ApolloServer<GatewayContext>({
      schema,
      csrfPrevention: true,
      introspection: authenticated && options.introspection,
      hideSchemaDetailsFromClientErrors: !(authenticated && options.suggestions),
      includeStacktraceInErrorResponses: options.development,
      formatError,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer: server }),
        ApolloServerPluginLandingPageDisabled(),
        // A mutation changes what it then reads: its fields read afresh, not through `reads`.
        {
          async requestDidStart() {
            return {
              async didResolveOperation({ operation, contextValue }) {
                if (operation?.operation === 'mutation') contextValue.reads = undefined;
              },
            };
          },
        },
        ...plugins.flatMap((p) => (p.apollo ? [p.apollo] : [])),
      ],
      logger: apolloLogger,
    });
  const members = apollo(true);
  const anonymous = apollo(false);
  await Promise.all([members.start(), anonymous.start()]);

  const context = async ({ req }: { req: Request }): Promise<GatewayContext> => {
    const found = resolved.get(req);
    if (found && 'context' in found) return found.context;
    const error = found?.error;
    // A GraphQLError keeps Apollo from prefixing "Context creation failed"; the cause keeps the code.
    throw new GraphQLError(error instanceof Error ? error.message : 'Authentication required', {
      originalError: error instanceof Error ? error : undefined,
      extensions: { http: { status: isLlmteamError(error) ? 401 : 500 } },
    });
  };
  const membersMiddleware = expressMiddleware(members, { context });
  const anonymousMiddleware = expressMiddleware(anonymous, { context });

  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      const { contentType, body } = await metrics.render();
      res.type(contentType).send(body);
    });
  }
  app.get('/healthz', (_req, res) => {
    const down = info.isShuttingDown();
    res
      .status(down ? 503 : 200)
      .json({ status: down ? 'shutting_down' : 'ok', version: GATEWAY_VERSION, store: info.storeName });
  });
  // Before /graphql: a browser opening GET /graphql gets the console's explorer.
  if (options.console) mountConsole(app, options.consoleDir ? { dir: options.consoleDir } : {});
  app.use('/graphql', express.json({ limit: bodyLimit }), async (req, res, next) => {
    let found: Resolved;
    try {
      const context = await buildContext(
        plugins,
        { transport: 'http', authorization: req.headers.authorization },
        { engine, logger, info, trace: incomingTrace(req.headers) },
      );
      found = { context: { ...context, reads: new RequestReads() } };
    } catch (error) {
      found = { error };
    }
    resolved.set(req, found);
    const middleware = 'context' in found && found.context.auth ? membersMiddleware : anonymousMiddleware;
    return middleware(req, res, next);
  });
  if (options.linkSecret) mountRespondLinks(app, { engine, secret: options.linkSecret, logger, bodyLimit });
  for (const route of engine.routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const routeLogger = logger.child({ route: `${route.method} ${route.path}` });
    app[method](route.path, async (req, res) => {
      try {
        await route.handler(req, res, { engine, logger: routeLogger });
      } catch (error) {
        routeLogger.error({ err: error }, 'plugin route failed');
        if (!res.headersSent) res.status(500).json({ error: 'Internal server error' });
        else res.end();
      }
    });
  }

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

  return {
    server,
    async stop() {
      await Promise.all([members.stop(), anonymous.stop()]);
    },
  };
}
