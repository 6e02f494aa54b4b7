import type { GraphQLFormattedError } from 'graphql';
import { graphql } from '../graphql-js.js';

const { GraphQLError } = graphql;

import { isLlmteamError } from '@llmteam/core';
import { isPublicError, toGraphQLCode } from '../errors.js';

/** Options of {@link createErrorFormatter}. */
export interface MaskedErrorsOptions {
  /** Keep messages and stack traces of unknown errors (never in production). @default false */
  development?: boolean;
  /** Called with every unknown (masked) error, for the logs. */
  onMasked?: (error: unknown) => void;
}

/** Codes Apollo and graphql-js set themselves; they are safe to pass through. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  'PAYLOAD_TOO_LARGE',
  'SERVICE_UNAVAILABLE',
]);

function original(error: unknown): unknown {
  let current = error;
  // graphql-js wraps resolver errors in GraphQLError (originalError); Apollo may wrap again.
  for (let i = 0; i < 5 && current instanceof GraphQLError && current.originalError; i++)
    current = current.originalError;
  return current;
}

/**
 * The one place errors are mapped to `extensions.code`: llmteam errors get their GraphQL
 * code (segment problems under `extensions.problems`), GraphQL's own errors pass, and
 * anything else becomes "Internal server error" unless `development` is on.
 */
export function createErrorFormatter(options: MaskedErrorsOptions = {}) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const cause = original(error);
    const base = {
      message: formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    if (isLlmteamError(cause)) {
      const code = toGraphQLCode(cause.code) ?? 'INTERNAL_SERVER_ERROR';
      if (!isPublicError(cause) && !options.development) {
        options.onMasked?.(cause);
        return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
      const problems = (cause as { problems?: unknown }).problems ?? cause.details?.problems;
      return {
        ...base,
        message: cause.message,
        extensions: { code, llmteamCode: cause.code, ...(Array.isArray(problems) ? { problems } : {}) },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: options.development ? formatted.extensions : extensions };
    }
    // A GraphQLError thrown on purpose with a known code (e.g. by a plugin) passes as well.
    if (
      cause instanceof GraphQLError &&
      typeof cause.extensions?.code === 'string' &&
      PASS_THROUGH.has(cause.extensions.code as string)
    ) {
      return { ...base, extensions: { code: cause.extensions.code } };
    }
    if (options.development) return formatted;
    options.onMasked?.(cause);
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
