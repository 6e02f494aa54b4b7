import type { IncomingMessage, Server } from 'node:http';
import type { Engine, Logger } from '@llmteam/core';
import type { DocumentNode, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { GatewayContext, GatewayInfo } from '../context.js';
import { GatewayError } from '../errors.js';
import { graphql } from '../graphql-js.js';
import {
  buildContext,
  composeFormatResult,
  type GatewayPlugin,
  sessionStillValid,
} from '../protection/gateway-plugin.js';

const {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
} = graphql;

/** Close code of a session whose key was revoked or expired, or whose tenant was suspended. */
export const SESSION_REVOKED_CLOSE_CODE = 4403;
/** Close code of a socket refused because its key already holds `maxSocketsPerKey` sockets. */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4429;

/** Limits of live graphql-ws sessions. */
export interface SessionLimitOptions {
  /** Subscriptions one socket may hold at once. @default 100 */
  maxSubscriptionsPerSocket?: number;
  /** Sockets one API key may hold open at once. @default 20 */
  maxSocketsPerKey?: number;
  /** How often every live session's key and tenant are checked again, in ms. @default 1000 */
  sessionCheckIntervalMs?: number;
}

/** Defaults of {@link SessionLimitOptions}. */
export const DEFAULT_SESSION_LIMITS: Required<SessionLimitOptions> = {
  maxSubscriptionsPerSocket: 100,
  maxSocketsPerKey: 20,
  sessionCheckIntervalMs: 1000,
};

/** Options of {@link createWsServer}. */
export interface WsServerOptions {
  server: Server;
  engine: Engine;
  logger: Logger;
  info: GatewayInfo;
  schema: GraphQLSchema;
  plugins: readonly GatewayPlugin[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  maxPayload: number;
  introspection: boolean;
  suggestions: boolean;
  limits?: SessionLimitOptions;
}

/** The graphql-ws side of a gateway. */
export interface WsServer {
  /** Checks every live session now; closes the ones no longer allowed. */
  recheck(): Promise<void>;
  /** Closes every socket with `code` and `reason`, then stops the graphql-ws server. */
  close(code: number, reason: string): Promise<void>;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/** "Did you mean ...?" hints name schema fields: not for callers that should not see the schema. */
function withoutSuggestions(error: InstanceType<typeof GraphQLError>): InstanceType<typeof GraphQLError> {
  const message = error.message.replace(/ ?Did you mean(.+?)\?$/, '');
  return message === error.message
    ? error
    : new GraphQLError(message, { nodes: error.nodes, extensions: error.extensions });
}

/**
 * graphql-ws on the HTTP server's `/graphql` path. graphql-ws bypasses Apollo, so the
 * plugins' hooks (auth, limits, masking) are applied here too. Every delivered result and
 * a periodic sweep check the session again: a revoked or expired key, or a suspended
 * tenant, closes its sockets with 4403 and nothing more is delivered.
 */
export function createWsServer(options: WsServerOptions): WsServer {
  const { engine, logger, info, schema, plugins, formatError } = options;
  const formatResult = composeFormatResult(plugins);
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
  const wsServer = new WebSocketServer({
    server: options.server,
    path: '/graphql',
    maxPayload: options.maxPayload,
  });
  const sessions = new Map<WebSocket, GatewayContext>();
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const checking = new Map<WebSocket, Promise<boolean>>();
  const rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];

  const forget = (socket: WebSocket) => {
    const context = sessions.get(socket);
    sessions.delete(socket);
    if (context?.auth) socketsByKey.get(context.auth.keyId)?.delete(socket);
  };
  const end = (socket: WebSocket) => {
    forget(socket);
    socket.close(SESSION_REVOKED_CLOSE_CODE, 'API key revoked or expired, or tenant suspended');
  };
  /** One check at a time per socket: deliveries in a burst share it. */
  const check = (socket: WebSocket): Promise<boolean> => {
    const context = sessions.get(socket);
    if (!context) return Promise.resolve(false);
    let pending = checking.get(socket);
    if (!pending) {
      pending = sessionStillValid(plugins, context)
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'session check failed; the session stays open');
          return true;
        })
        .then((ok) => {
          checking.delete(socket);
          if (!ok && sessions.has(socket)) end(socket);
          return ok;
        });
      checking.set(socket, pending);
    }
    return pending;
  };
  const recheck = async () => {
    await Promise.all([...sessions.keys()].map(check));
  };
  const sweep = setInterval(() => void recheck(), limits.sessionCheckIntervalMs);
  sweep.unref?.();

  const cleanup = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      context: (ctx): GatewayContext => sessions.get(ctx.extra.socket) ?? { engine, logger, info },
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        if (info.isShuttingDown()) {
          // Not an auth failure: 1013 (try again later) lets clients reconnect to the next instance.
          socket.close(1013, 'gateway shutting down');
          return false;
        }
        const params = ctx.connectionParams ?? {};
        const context = await buildContext(
          plugins,
          { transport: 'ws', authorization: params.authorization ?? params.Authorization ?? null },
          { engine, logger, info },
        ).catch(() => undefined);
        // false closes the socket with 4403 Forbidden.
        if (!context?.auth) return false;
        const open = socketsByKey.get(context.auth.keyId) ?? new Set<WebSocket>();
        if (open.size >= limits.maxSocketsPerKey) {
          socket.close(
            TOO_MANY_SOCKETS_CLOSE_CODE,
            `API key holds ${limits.maxSocketsPerKey} sockets already (maxSocketsPerKey); close one`,
          );
          return false;
        }
        open.add(socket);
        socketsByKey.set(context.auth.keyId, open);
        sessions.set(socket, context);
        socket.once('close', () => forget(socket));
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        const held = Object.keys(ctx.subscriptions).length;
        if (held > limits.maxSubscriptionsPerSocket) {
          const cause = new GatewayError(
            'LLMT_E_GW_SESSION_LIMIT',
            `This socket holds ${limits.maxSubscriptionsPerSocket} subscriptions already (maxSubscriptionsPerSocket); complete one or open another socket`,
          );
          return [new GraphQLError(cause.message, { originalError: cause })];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [
            new GraphQLError(error instanceof Error ? error.message : String(error), {
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length) {
          return invalid.map(
            (e) =>
              new GraphQLError((options.suggestions ? e : withoutSuggestions(e)).message, {
                nodes: e.nodes,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          );
        }
        const operation = getOperationAST(document, payload.operationName);
        if (operation) {
          const coerced = getVariableValues(
            schema,
            operation.variableDefinitions ?? [],
            payload.variables ?? {},
          );
          if (coerced.errors) {
            return coerced.errors.map(
              (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }),
            );
          }
        }
        const operationCheck = {
          schema,
          document,
          operationName: payload.operationName,
          variables: payload.variables,
        };
        for (const plugin of plugins) {
          const refused = plugin.onSubscribe?.(operationCheck);
          if (refused?.length) return refused;
        }
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      onNext: async (ctx, _id, _payload, _args, result) => {
        // Closing the socket here keeps this result from being sent (graphql-ws sends only while open).
        if (!(await check(ctx.extra.socket))) return undefined;
        const data = result.data ? formatResult(result.data as Record<string, unknown>) : result.data;
        if (!result.errors?.length) return data === result.data ? undefined : { ...result, data };
        return { ...result, data, errors: result.errors.map((e) => formatError(e.toJSON(), e)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
    },
    wsServer,
  );

  return {
    recheck,
    async close(code, reason) {
      clearInterval(sweep);
      for (const socket of wsServer.clients) socket.close(code, reason);
      await Promise.resolve(cleanup.dispose()).catch(() => undefined);
    },
  };
}
