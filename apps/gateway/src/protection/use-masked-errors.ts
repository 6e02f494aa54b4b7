import type { GatewayPlugin } from './gateway-plugin.js';
import { createErrorFormatter, type MaskedErrorsOptions } from './masked-errors.js';

/**
 * Error masking as a plugin: llmteam errors keep their code and message, GraphQL's own
 * errors pass, anything else becomes "Internal server error" (HTTP and graphql-ws alike).
 */
export function useMaskedErrors(options: MaskedErrorsOptions = {}): GatewayPlugin {
  const format = createErrorFormatter(options);
  return { name: 'masked-errors', formatError: (formatted, error) => format(formatted, error) };
}
