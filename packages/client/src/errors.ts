/**
 * Errors of `@llmteam/client`. `code` is the gateway's `extensions.code` (`BAD_USER_INPUT`,
 * `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`, ...) or one of the client's own
 * {@link CLIENT_ERROR_CODES} when the gateway could not be reached or answered nonsense.
 */

/** Codes the client raises itself (documented in the README). */
export const CLIENT_ERROR_CODES = {
  NETWORK_ERROR:
    'The gateway could not be reached (connection refused, DNS, TLS) or the socket kept failing after every retry.',
  BAD_RESPONSE:
    'The gateway answered with something that is not a GraphQL response (e.g. a proxy error page).',
  BAD_REQUEST:
    'The gateway closed the subscription socket with a graphql-ws protocol error (4400, 4406, 4409, 4429); retrying cannot fix it.',
} as const;

/** A segment problem as the gateway reports it under `extensions.problems`. */
export interface SegmentProblem {
  path: string;
  code: string;
  message: string;
}

/** One GraphQL error as the gateway sends it. */
export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown> & { code?: string; llmteamCode?: string; problems?: SegmentProblem[] };
}

/** Thrown by every client operation. */
export class LlmteamClientError extends Error {
  /** `extensions.code` of the first error, or a {@link CLIENT_ERROR_CODES} key. */
  readonly code: string;
  /** The server's `LLMT_E_*` code, when it sent one. */
  readonly llmteamCode?: string;
  /** Every problem of an invalid segment (code `BAD_USER_INPUT`). */
  readonly problems?: SegmentProblem[];
  /** All GraphQL errors of the response. */
  readonly errors: GraphQLErrorPayload[];
  /** HTTP status, for HTTP requests. */
  readonly status?: number;

  constructor(
    code: string,
    message: string,
    options: { errors?: GraphQLErrorPayload[]; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmteamClientError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.status = options.status;
    const first = this.errors[0]?.extensions;
    if (typeof first?.llmteamCode === 'string') this.llmteamCode = first.llmteamCode;
    if (Array.isArray(first?.problems)) this.problems = first.problems;
  }

  /** Builds the error for a GraphQL response that carries `errors`. */
  static fromGraphQL(errors: GraphQLErrorPayload[], status?: number): LlmteamClientError {
    const first = errors[0];
    const code =
      typeof first?.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
    return new LlmteamClientError(code, first?.message ?? 'GraphQL request failed', { errors, status });
  }
}

/** True for errors thrown by this client (also across copies of the package). */
export function isLlmteamClientError(value: unknown): value is LlmteamClientError {
  return (
    value instanceof Error &&
    value.name === 'LlmteamClientError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
