/**
 * The error registry of `@llmteam/gateway`. Codes are stable and never reused; each one is
 * documented in the README. Core errors (`LLMT_E_*` from `@llmteam/core`) are mapped to a
 * GraphQL `extensions.code` by {@link toGraphQLCode}.
 */
import { defineErrors, isLlmteamError, type LlmteamError } from '@llmteam/core';

/** Every error code of `@llmteam/gateway`, with what it means. */
export const GATEWAY_ERROR_CODES = {
  LLMT_E_GW_UNAUTHENTICATED: 'No API key, or an unknown or revoked one, was presented.',
  LLMT_E_GW_FORBIDDEN: "The API key's roles or tenant do not allow the operation.",
  LLMT_E_GW_NOT_FOUND: "The named object does not exist in the caller's tenant.",
  LLMT_E_GW_QUERY_TOO_DEEP: 'The operation nests fields deeper than `maxDepth`.',
  LLMT_E_GW_QUERY_TOO_COMPLEX: "The operation's estimated cost is above `maxComplexity`.",
  LLMT_E_GW_CONFIG: 'The config file is unreadable, malformed or names a store no plugin registers.',
  LLMT_E_GW_LINK_INVALID: 'A signed answer link is malformed, expired, tampered with or already used.',
  LLMT_E_GW_SLACK_SIGNATURE: 'A Slack callback failed signature verification.',
  LLMT_E_GW_UNAVAILABLE: 'The gateway is shutting down or a required part is not installed.',
  LLMT_E_GW_UNSEAL_FORBIDDEN:
    'The API key may not read sealed values: `unsealRun` needs a key with the UNSEALER role.',
  LLMT_E_GW_SESSION_LIMIT:
    'A graphql-ws socket holds `maxSubscriptionsPerSocket` subscriptions already (sockets over `maxSocketsPerKey` close with 4429).',
} as const;

/** A code of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** The error registry of `@llmteam/gateway` (see `defineErrors`). */
export const gatewayErrors = defineErrors('@llmteam/gateway', GATEWAY_ERROR_CODES, {
  className: 'GatewayError',
});

/** An error raised by the gateway itself. */
export class GatewayError extends gatewayErrors.Error {}

/** GraphQL `extensions.code` values a client can rely on. */
export type GraphQLErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COMPLEX'
  | 'PAYLOAD_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_SERVER_ERROR';

const CODE_MAP: Record<string, GraphQLErrorCode> = {
  LLMT_E_SEGMENT_INVALID: 'BAD_USER_INPUT',
  LLMT_E_INPUT_INVALID: 'BAD_USER_INPUT',
  LLMT_E_UNKNOWN_STEP_TYPE: 'BAD_USER_INPUT',
  LLMT_E_INVALID_ARGUMENT: 'BAD_USER_INPUT',
  LLMT_E_RESPONSE_INVALID: 'BAD_USER_INPUT',
  LLMT_E_MAX_REVISIONS: 'CONFLICT',
  LLMT_E_SEGMENT_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_SEGMENT_VERSION_EXISTS: 'CONFLICT',
  LLMT_E_RUN_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_SNAPSHOT_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_INTERACTION_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_INTERACTION_CLOSED: 'CONFLICT',
  LLMT_E_CONFLICT: 'CONFLICT',
  LLMT_E_RUN_STATE: 'CONFLICT',
  LLMT_E_TASK_STATE: 'CONFLICT',
  LLMT_E_SNAPSHOT_CORRUPT: 'CONFLICT',
  LLMT_E_NOT_ASSIGNEE: 'FORBIDDEN',
  LLMT_E_GW_UNAUTHENTICATED: 'UNAUTHENTICATED',
  LLMT_E_GW_FORBIDDEN: 'FORBIDDEN',
  LLMT_E_GW_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_GW_QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  LLMT_E_GW_QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  LLMT_E_GW_LINK_INVALID: 'BAD_USER_INPUT',
  LLMT_E_GW_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  LLMT_E_GW_SESSION_LIMIT: 'TOO_MANY_REQUESTS',
  LLMT_E_API_KEY_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_TENANT_NOT_FOUND: 'NOT_FOUND',
  LLMT_E_TENANT_EXISTS: 'CONFLICT',
  LLMT_E_TENANT_SUSPENDED: 'FORBIDDEN',
  LLMT_E_GW_UNSEAL_FORBIDDEN: 'FORBIDDEN',
  LLMT_E_SEALED_TAMPERED: 'CONFLICT',
  LLMT_E_SEALING_KEY: 'SERVICE_UNAVAILABLE',
  LLMT_E_LICENCE_INVALID: 'FORBIDDEN',
  LLMT_E_LIMIT_EXCEEDED: 'FORBIDDEN',
};

/** Core codes whose message may name internals (connection strings, files): always masked. */
const ALWAYS_MASKED = new Set(['LLMT_E_STORE']);

/** The GraphQL code for an llmteam error code, or undefined when it has none (internal). */
export function toGraphQLCode(code: string): GraphQLErrorCode | undefined {
  return CODE_MAP[code];
}

/**
 * Whether an error's message may be shown to a client as it is: only codes mapped to a
 * GraphQL code are; any other (plugin load failures, store internals) is masked.
 */
export function isPublicError(error: unknown): error is LlmteamError {
  return isLlmteamError(error) && toGraphQLCode(error.code) !== undefined && !ALWAYS_MASKED.has(error.code);
}

/**
 * The one refusal for a missing, unknown, revoked or expired key, on every path: HTTP 401,
 * `UNAUTHENTICATED`, `llmteamCode` `LLMT_E_GW_UNAUTHENTICATED`.
 */
export function unauthenticatedError(): GatewayError {
  const error = new GatewayError(
    'LLMT_E_GW_UNAUTHENTICATED',
    'Authentication required: send "Authorization: Bearer llmt_..." with a valid API key of this gateway',
  );
  // graphql-js copies an original error's `extensions`; Apollo turns `http` into the status.
  Object.defineProperty(error, 'extensions', { value: { http: { status: 401 } }, enumerable: false });
  return error;
}
