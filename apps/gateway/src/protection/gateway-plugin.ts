import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context.js';

/** What a plugin sees of an operation before it runs (HTTP and graphql-ws alike). */
export interface OperationCheck {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** Where a caller's context is being built: one HTTP request, or one graphql-ws connection. */
export interface ContextInput {
  transport: 'http' | 'ws';
  /** The `Authorization` header (HTTP) or `connectionParams.authorization` (graphql-ws). */
  authorization?: unknown;
}

/**
 * A cross-cutting concern of the gateway (envelop-style): small hooks that apply to HTTP and
 * graphql-ws alike, so a concern such as authentication or error masking is written once.
 * Plugins run in the order given; the gateway's own (auth, limits, masking) come first.
 */
export interface GatewayPlugin {
  name: string;
  /**
   * Adds to the context of an HTTP request or a graphql-ws connection (e.g. `auth`).
   * Throwing refuses the caller: HTTP answers with the error, graphql-ws closes with 4403.
   * Run sequentially; later plugins see what earlier ones added.
   */
  onContext?(
    input: ContextInput,
    context: Readonly<Partial<GatewayContext>>,
  ): Partial<GatewayContext> | undefined | Promise<Partial<GatewayContext> | undefined>;
  /**
   * Whether a live graphql-ws session may still receive data; asked before every delivered
   * result and on the periodic session sweep. `false` closes the socket with 4403.
   */
  onSessionCheck?(context: GatewayContext): boolean | Promise<boolean>;
  /**
   * Rewrites the `data` of every result leaving over graphql-ws (HTTP results go through the
   * plugin's `apollo` hooks). Run in order.
   */
  formatResult?(data: Record<string, unknown>): Record<string, unknown>;
  /** Rewrites every error leaving the gateway (HTTP responses and graphql-ws messages). */
  formatError?(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** Hooks for queries and mutations over HTTP. */
  apollo?: ApolloServerPlugin<GatewayContext>;
  /** Checks an operation arriving over graphql-ws; returned errors refuse it. */
  onSubscribe?(operation: OperationCheck): readonly GraphQLError[] | undefined;
}

/** Turns a check into a plugin that refuses an operation over both transports. */
export function operationCheckPlugin(
  name: string,
  check: (operation: OperationCheck) => GraphQLError | undefined,
): GatewayPlugin {
  return {
    name,
    apollo: {
      async requestDidStart() {
        return {
          async didResolveOperation({ document, request, schema }) {
            const error = check({
              schema,
              document,
              operationName: request.operationName,
              variables: request.variables,
            });
            if (error) throw error;
          },
        };
      },
    },
    onSubscribe(operation) {
      const error = check(operation);
      return error ? [error] : undefined;
    },
  };
}

/** Runs every plugin's `onContext` in order and merges what they add. */
export async function buildContext(
  plugins: readonly GatewayPlugin[],
  input: ContextInput,
  base: Omit<GatewayContext, 'auth'>,
): Promise<GatewayContext> {
  let context: GatewayContext = { ...base };
  for (const plugin of plugins) {
    if (!plugin.onContext) continue;
    const added = await plugin.onContext(input, context);
    if (added) context = { ...context, ...added };
  }
  return context;
}

/** One formatter made of every plugin's `formatError`, applied in order. */
export function composeFormatError(
  plugins: readonly GatewayPlugin[],
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  const formatters = plugins.flatMap((p) => (p.formatError ? [p.formatError.bind(p)] : []));
  return (formatted, error) => formatters.reduce((current, format) => format(current, error), formatted);
}

/** One result formatter made of every plugin's `formatResult`, applied in order. */
export function composeFormatResult(
  plugins: readonly GatewayPlugin[],
): (data: Record<string, unknown>) => Record<string, unknown> {
  const formatters = plugins.flatMap((p) => (p.formatResult ? [p.formatResult.bind(p)] : []));
  return (data) => formatters.reduce((current, format) => format(current), data);
}

/** True when every plugin's `onSessionCheck` lets the session go on. */
export async function sessionStillValid(
  plugins: readonly GatewayPlugin[],
  context: GatewayContext,
): Promise<boolean> {
  for (const plugin of plugins) {
    if (plugin.onSessionCheck && !(await plugin.onSessionCheck(context))) return false;
  }
  return true;
}
