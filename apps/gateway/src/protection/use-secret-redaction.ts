import type { SecretRedactor } from '@llmteam/core';
import type { GatewayPlugin } from './gateway-plugin.js';

/**
 * No resolved secret leaves in a GraphQL error: every error's message, path and extensions
 * (HTTP and graphql-ws alike) are scrubbed with the engine's redactor, after masking.
 */
export function useSecretRedaction(redactor: SecretRedactor): GatewayPlugin {
  return {
    name: 'secret-redaction',
    formatError: (formatted) => redactor.scrubDeep(formatted),
  };
}
