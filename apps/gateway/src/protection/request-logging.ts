import type { Logger } from '@llmteam/core';
import type { GatewayPlugin } from './gateway-plugin.js';

/** Logs one structured line per GraphQL request: operation, duration, error codes, caller. */
export function useRequestLogging(logger: Logger): GatewayPlugin {
  return {
    name: 'request-logging',
    apollo: {
      async requestDidStart({ request, contextValue }) {
        const started = performance.now();
        return {
          async willSendResponse({ response, errors }) {
            const codes = (errors ?? []).map((e) => e.extensions?.code).filter(Boolean);
            const entry = {
              operation: request.operationName ?? undefined,
              durationMs: Math.round((performance.now() - started) * 100) / 100,
              status: response.http.status ?? 200,
              tenantId: contextValue.auth?.tenantId,
              subject: contextValue.auth?.subject,
              ...(contextValue.trace ? { traceId: contextValue.trace.traceId } : {}),
              ...(codes.length ? { errors: codes } : {}),
            };
            if (codes.length) logger.warn(entry, 'graphql request failed');
            else logger.debug(entry, 'graphql request');
          },
        };
      },
    },
  };
}
