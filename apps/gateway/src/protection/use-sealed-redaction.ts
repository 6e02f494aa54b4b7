import { redactSealed } from '@llmteam/core';
import type { GatewayPlugin } from './gateway-plugin.js';

/**
 * Sealed values never leave the gateway: every result (HTTP and graphql-ws alike) and every
 * error's extensions show a sealed value as `"[sealed]"`, whichever field carries it (run
 * input, step outputs, interaction context, snapshot state, event data). Only the
 * `unsealRun` mutation returns plaintext, after its audit entry is stored.
 */
export function useSealedRedaction(): GatewayPlugin {
  return {
    name: 'sealed-redaction',
    formatResult: (data) => redactSealed(data),
    formatError: (formatted) =>
      formatted.extensions ? { ...formatted, extensions: redactSealed(formatted.extensions) } : formatted,
    apollo: {
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            if (response.body.kind === 'single' && response.body.singleResult.data)
              response.body.singleResult.data = redactSealed(response.body.singleResult.data);
          },
        };
      },
    },
  };
}
