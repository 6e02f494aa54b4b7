import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context.js';

/** What a plugin sees of an operation before it runs (HTTP and graphql-ws alike). */
export interface OperationCheck {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * A cross-cutting concern of the gateway (envelop-style): it hooks into Apollo's request
 * pipeline and, because graphql-ws bypasses that pipeline, checks subscriptions too.
 */
export interface GatewayPlugin {
  name: string;
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
