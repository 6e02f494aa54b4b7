/**
 * The error registry of `@llmteam/core`. Every error carries a stable `code`
 * (`LLMT_E_*`, never reused), a message that says what was wrong and how to fix it, and
 * its `cause`. Errors are recognised by a branded symbol rather than `instanceof`, so two
 * copies of the package in one process still agree ({@link isLlmteamError}).
 */

const BRAND = Symbol.for('llmteam.error');

/** Every error code of `@llmteam/core`, with what it means. Documented in the README. */
export const ERROR_CODES = {
  LLMT_E_SEGMENT_INVALID: 'A segment failed validation; `problems` lists every problem with its JSON path.',
  LLMT_E_INPUT_INVALID:
    "A run's input does not satisfy its segment's `input_schema`; `problems` lists every problem with its JSON path.",
  LLMT_E_UNKNOWN_STEP_TYPE: 'A step names a step type that no catalog entry or plugin registers.',
  LLMT_E_STEP_TYPE_EXISTS: 'A step type with this name is already registered.',
  LLMT_E_SEGMENT_VERSION_EXISTS:
    'A segment version is stored with a different definition; runs may be executing it, so a new definition needs a new version.',
  LLMT_E_SEGMENT_NOT_FOUND: 'No segment with this id (and version) is registered for the tenant.',
  LLMT_E_RUN_NOT_FOUND: 'No run with this id exists in the tenant.',
  LLMT_E_AUDIT_KEY: 'An audit signing or public key is not an Ed25519 key in PEM.',
  LLMT_E_AUDIT_NO_CHECKPOINT:
    'The tenant has no signed audit checkpoint yet: take one (`auditCheckpoint`, `llmteam audit checkpoint`) first.',
  LLMT_E_RUN_STATE:
    'The run is not in a state that allows the operation (e.g. resuming a run that is not paused).',
  LLMT_E_CONFLICT: 'A concurrent change won: the expected version, timer or key no longer matches.',
  LLMT_E_LEASE_HELD:
    "A commit that takes a run's lease (`Commit.lease`) found another worker holding it; nothing was written.",
  LLMT_E_STEP_FAILED: 'A step handler threw; the cause is kept.',
  LLMT_E_STEP_TIMEOUT: 'A step handler did not finish within the step timeout.',
  LLMT_E_JOIN_INCOMPLETE:
    'A `parallel_join` cannot get the branches its `mode` needs: branches were not taken (skipped, rejected or routed elsewhere).',
  LLMT_E_RUN_TIMEOUT:
    "A run did not finish within its `timeout` (the segment's or `startRun`'s); its open work was closed.",
  LLMT_E_STEP_CANCELLED: 'The run was cancelled while the step ran.',
  LLMT_E_STEP_OUTPUT: 'A step handler returned a value on a port its step does not declare.',
  LLMT_E_ILLEGAL_TRANSITION:
    'A run or step was asked to move to a status its state machine does not allow from where it is.',
  LLMT_E_LOOP_LIMIT:
    "A step wrote its back-edge port once more than the loop's bound (its step type's `backEdges`) allows.",
  LLMT_E_EXPRESSION: 'A JSONata expression failed to compile or evaluate.',
  LLMT_E_SNAPSHOT_NOT_FOUND: 'No snapshot with this id exists in the tenant.',
  LLMT_E_SNAPSHOT_CORRUPT: 'A snapshot failed its SHA-256 checksum and was not restored.',
  LLMT_E_PLUGIN_INVALID: 'A plugin module does not default-export a `definePlugin(...)` object.',
  LLMT_E_PLUGIN_API_VERSION: "A plugin's `apiVersion` range does not include this core's API version.",
  LLMT_E_PLUGIN_LOAD: 'A plugin package could not be imported.',
  LLMT_E_PLUGIN_SETUP: "A plugin's `setup` hook threw.",
  LLMT_E_HOST_NOT_ALLOWED:
    'A step tried to reach a host its step type does not declare in `permissions.hosts`.',
  LLMT_E_SECRET_NOT_ALLOWED:
    'A step asked for a secret its step type does not declare in `permissions.secrets`.',
  LLMT_E_SECRET_NOT_FOUND: 'The secrets provider has no value for a declared secret.',
  LLMT_E_SECRET_NAME_INVALID:
    'A secret name the file secrets provider refuses: only letters, digits, `.`, `_` and `-`, not starting with `.` (no path separators, no `..`).',
  LLMT_E_SECRETS_CONFIG:
    'The secrets provider setting is wrong: a secrets folder that does not exist, or a provider name no plugin registers.',
  LLMT_E_STORE: 'The store failed (unreachable, wrong schema, corrupted row); the message names the store.',
  LLMT_E_INTERACTION_NOT_FOUND: 'No interaction with this id exists in the tenant.',
  LLMT_E_INTERACTION_CLOSED:
    'The interaction was already answered or closed; the second answer was not applied.',
  LLMT_E_NOT_ASSIGNEE:
    'The subject is not an assignee, escalation target or tenant admin of the interaction.',
  LLMT_E_RESPONSE_INVALID: 'An answer does not fit the interaction (schema, options or action).',
  LLMT_E_MAX_REVISIONS: 'A review already reached `max_revisions`; changes can no longer be requested.',
  LLMT_E_TIMEOUT: 'Waiting for something took longer than the given timeout.',
  LLMT_E_CHANNEL: 'A notification channel failed to deliver.',
  LLMT_E_APPROVAL_REJECTED:
    'A `requiresApproval` task was rejected (or not approved in time); its work did not run.',
  LLMT_E_TASK_STATE: 'A `requiresApproval` task was asked to do something its state does not allow.',
  LLMT_E_ACTION_NOT_FOUND:
    'A step or tool names an action that is neither declared in config nor registered.',
  LLMT_E_ACTION_EXISTS: 'An action with this name (or an action type with this type) is already registered.',
  LLMT_E_ACTION_TYPE_UNKNOWN:
    'An action has a `type` no handler is registered for; install the plugin that provides it.',
  LLMT_E_ACTION_CONFIG: 'An action config fails its schema; the message names the action and the field.',
  LLMT_E_ACTION_REQUEST_INVALID: "An action's input fails its `request_schema`; nothing was sent.",
  LLMT_E_ACTION_RESPONSE_INVALID: "An action's response fails its `response_schema`; not retried.",
  LLMT_E_ACTION_RESPONSE_TOO_LARGE: "An action's response is larger than its `max_response_bytes`.",
  LLMT_E_ACTION_FAILED:
    'An action call failed (error status, refused, connection lost); `retryable` says whether a retry may help.',
  LLMT_E_ACTION_UNAVAILABLE: 'The system behind an action (queue, database, server) cannot be reached.',
  LLMT_E_ACTION_TIMEOUT: 'An action call did not finish within its `timeout`.',
  LLMT_E_ACTION_BUSY: 'An action already runs `max_concurrency` calls and its queue (`max_queue`) is full.',
  LLMT_E_RATE_LIMITED: "An action call waited `rate_limit.max_wait` for a token of the action's rate limit.",
  LLMT_E_CIRCUIT_OPEN: "An action's circuit breaker is open after repeated failures; the call was not made.",
  LLMT_E_ADDRESS_NOT_ALLOWED:
    'An outbound call resolved to a loopback, private, link-local or metadata address that is not allowlisted.',
  LLMT_E_LLM_RATE_LIMITED:
    'An LLM provider refused a call for its rate limit (HTTP 429); retryable, `details.retryAfterMs` says how long it asked to wait.',
  LLMT_E_LLM_CONTEXT_TOO_LONG:
    "A model call's messages exceed the model's context window; shorten the prompt or lower `max_turns`.",
  LLMT_E_LLM_CONTENT_FILTERED: "The provider's content filter refused the prompt or the answer; not retried.",
  LLMT_E_LLM_AUTH:
    'An LLM provider refused the API key (HTTP 401/403); check the key named by `apiKeySecret`.',
  LLMT_E_LLM_SERVER: 'An LLM provider failed with a server error (HTTP 5xx); retryable.',
  LLMT_E_LLM_TIMEOUT: 'A model call did not answer in time; retryable.',
  LLMT_E_LLM_BAD_REQUEST:
    "An LLM provider refused the request as invalid (HTTP 400/422); the message is the provider's.",
  LLMT_E_LLM_BAD_RESPONSE:
    'An LLM provider answered with something unreadable (malformed JSON, a stream cut mid-answer); retryable.',
  LLMT_E_AGENT_CONFIG:
    'An `llm_agent` step names a provider that is not registered or a tool that is no action; the message names the step and the field.',
  LLMT_E_AGENT_UNKNOWN_TOOL:
    "The model called a tool that is not among the step's `tools`; nothing of that turn was committed.",
  LLMT_E_AGENT_TOOL_ARGUMENTS:
    'The model sent tool arguments that are not JSON; nothing of that turn was committed (retryable).',
  LLMT_E_AGENT_MAX_TURNS: 'An `llm_agent` step made `max_turns` model calls without a final answer.',
  LLMT_E_AGENT_OUTPUT:
    'The final answer does not fit `output_schema` after the repair turn; `details.raw` holds the last raw output.',
  LLMT_E_AGENT_APPROVAL_TIMEOUT:
    'A tool approval with `on_timeout: "fail"` was not given before its deadline; the call did not run.',
  LLMT_E_AGENT_CONVERSATION_TOO_LARGE:
    "An agent's conversation grew over the size limit; the message names the limit.",
  LLMT_E_TOKEN_BUDGET:
    "A model call would pass a token budget (the step's, the run's or the tenant's per period); the message names the budget and what was used.",
  LLMT_E_CHILD_RUN_FAILED:
    'The child run of a `segment` step failed or was cancelled; `details` name the child run and its error.',
  LLMT_E_CHILD_DEPTH:
    'Child runs would nest deeper than 16 levels: segments that start each other form a cycle.',
  LLMT_E_MEMORY_UNSUPPORTED: 'The store has no `memory` role, so agent memory is not available on it.',
  LLMT_E_MEMORY_ENTRY_TOO_LARGE:
    "An agent memory value is larger than the agent's `maxBytes`; the message names the agent, key and limit.",
  LLMT_E_NO_ASSIGNEE:
    'A request with an `assignment` strategy found no member to give it to (no group, no directory, no member with the skills); the message names the step and field.',
  LLMT_E_ROUTER_NO_ROUTE:
    'A `router` step found no route to take (no rule matched, or the model named no declared route) and sets no `default`.',
  LLMT_E_INVALID_ARGUMENT: 'An argument has the wrong shape; the message names it and the fix.',
  LLMT_E_API_KEY_NOT_FOUND: 'No API key with this id exists in the tenant.',
  LLMT_E_SEALING_KEY:
    'Sealed fields need a key the engine does not have: no key provider is configured, a key is malformed, or a sealed value names a retired key that was removed.',
  LLMT_E_SEALED_TAMPERED:
    'A sealed value does not authenticate: its ciphertext, label or wrapped key was altered, or it was moved from another tenant.',
  LLMT_E_TENANT_NOT_FOUND:
    'No tenant with this id exists (or it was deleted); create it first (`engine.tenants.create`, the `createTenant` mutation or `llmteam tenants create`).',
  LLMT_E_TENANT_EXISTS: 'A tenant with this id already exists; update it instead.',
  LLMT_E_TENANT_SUSPENDED:
    'The tenant is suspended: it starts no run and takes no new segment or key until it is resumed.',
  LLMT_E_LIMIT_EXCEEDED:
    "A tenant limit was reached; the message and `details` name the limit, its value, the tenant's tier and how to raise it.",
  LLMT_E_LICENCE_INVALID:
    'A licence file is malformed, its Ed25519 signature does not verify with the public key, or it has expired; the message names the file and the problem.',
} as const;

/** A code of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of an {@link LlmteamError}: its cause, whether a retry may help, and details. */
export interface LlmteamErrorOptions {
  cause?: unknown;
  /** Whether retrying the same operation may succeed. @default false */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

/** Base class of every error thrown by llmteam packages. */
export class LlmteamError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode | (string & {}), message: string, options: LlmteamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmteamError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any llmteam error, even one thrown by another copy of this package. */
export function isLlmteamError(value: unknown): value is LlmteamError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One validation problem, located by a JSON path such as `$.steps[2].config.expression`. */
export interface SegmentProblem {
  path: string;
  code: string;
  message: string;
}

/** A segment failed validation; `problems` lists every problem at once. */
export class SegmentValidationError extends LlmteamError {
  readonly problems: SegmentProblem[];
  constructor(problems: SegmentProblem[]) {
    super(
      'LLMT_E_SEGMENT_INVALID',
      `Segment is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((p) => `  ${p.path}: ${p.message}`)
        .join('\n')}`,
      { details: { problems } },
    );
    this.name = 'SegmentValidationError';
    this.problems = problems;
  }
}

/** A concurrent change won. Reload and try again. */
export class ConcurrencyError extends LlmteamError {
  constructor(message: string, options: LlmteamErrorOptions = {}) {
    super('LLMT_E_CONFLICT', message, { retryable: true, ...options });
    this.name = 'ConcurrencyError';
  }
}

/**
 * A commit that takes a run's lease (`Commit.lease`) found another owner holding a live
 * one; nothing of the commit was written. The engine then applies the change without the
 * lease (the holder picks it up).
 */
export class LeaseHeldError extends LlmteamError {
  constructor(message: string, options: LlmteamErrorOptions = {}) {
    super('LLMT_E_LEASE_HELD', message, { retryable: true, ...options });
    this.name = 'LeaseHeldError';
  }
}

/** True for a commit refused because another worker holds the run's lease, from any copy of core. */
export function isLeaseHeld(error: unknown): boolean {
  return isLlmteamError(error) && error.code === 'LLMT_E_LEASE_HELD';
}

/**
 * Throw from a step handler to control retries: `StepError.nonRetryable(...)` fails the
 * step at once, whatever its `retry` policy says.
 */
export class StepError extends LlmteamError {
  constructor(message: string, options: LlmteamErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'LLMT_E_STEP_FAILED', message, { retryable: true, ...options });
    this.name = 'StepError';
  }
  static nonRetryable(message: string, options: LlmteamErrorOptions & { code?: string } = {}): StepError {
    return new StepError(message, { ...options, retryable: false });
  }
}

/** Turns anything thrown into the serialisable form kept on steps and runs. */
export function toErrorInfo(error: unknown): {
  code: string;
  message: string;
  retryable?: boolean;
  details?: unknown;
} {
  if (isLlmteamError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details ? { details: error.details } : {}),
    };
  }
  if (error instanceof Error) return { code: 'LLMT_E_STEP_FAILED', message: error.message, retryable: true };
  return { code: 'LLMT_E_STEP_FAILED', message: String(error), retryable: true };
}

/** True for a lost optimistic-concurrency race (`LLMT_E_CONFLICT`), from any copy of core. */
export function isConflict(error: unknown): boolean {
  return isLlmteamError(error) && error.code === 'LLMT_E_CONFLICT';
}
