import type { Context } from '@opentelemetry/api';
import type { Logger } from '../catalog/types.js';
import type { Clock } from '../util/clock.js';

/** The action types of the original design; plugins may add more. */
export type ActionType =
  | 'webhook'
  | 'rest_api'
  | 'function'
  | 'database'
  | 'message_queue'
  | 'grpc'
  | (string & {});

/** Where a call stands. A finished call is `completed`, `failed`, `timeout` or `cancelled`. */
export type ActionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timeout' | 'cancelled';

/** How an HTTP action authenticates. Secrets are named in `auth_config`, never inlined. */
export type ActionAuthType = 'none' | 'bearer' | 'basic' | 'api_key' | 'hmac';

/** A token bucket: `requests_per_minute` (or `_per_second`) refill, `burst_size` capacity. */
export interface ActionRateLimit {
  requests_per_second?: number;
  requests_per_minute?: number;
  /** Bucket capacity. @default the per-second rate, at least 1 */
  burst_size?: number;
  /** Also one bucket per tenant (besides the action's own). @default false */
  per_tenant?: boolean;
  /** Per-tenant rate, when it differs from the action's. @default the action's rate */
  tenant_requests_per_minute?: number;
  /** How long a limited call waits for a token before `LLMT_E_RATE_LIMITED` (ISO 8601 or seconds). @default "PT5S" */
  max_wait?: string | number;
}

/** Opens after `failure_threshold` consecutive failures; tries again after `open_timeout`. */
export interface ActionCircuitBreaker {
  /** @default 5 */
  failure_threshold?: number;
  /** ISO 8601 or seconds. @default "PT30S" */
  open_timeout?: string | number;
}

/**
 * A named action, as declared in the gateway config's `actions` section or registered by
 * code. Type-specific keys (e.g. `url`, `query`, `exchange`) sit beside the common ones and
 * are checked against the action type's own schema.
 */
export interface ActionConfig {
  type: ActionType;
  description?: string;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Per-call timeout, ISO 8601 or seconds. @default "PT30S" */
  timeout?: string | number;
  /**
   * Extra attempts a failed call gets (durable engine retries of the calling step, when the
   * step sets no `retry` of its own). @default 0
   */
  retry_count?: number;
  /** JSON Schema the input must match before anything is sent. */
  request_schema?: Record<string, unknown>;
  /** JSON Schema the response data must match. */
  response_schema?: Record<string, unknown>;
  /** @default "none" */
  auth_type?: ActionAuthType;
  /** Names of secrets (`token_secret`, `username_secret`, ...) and non-secret settings. */
  auth_config?: Record<string, unknown>;
  rate_limit?: ActionRateLimit;
  circuit_breaker?: ActionCircuitBreaker;
  /** Calls of this action running at once on one node. @default unlimited */
  max_concurrency?: number;
  /** Calls waiting for a slot when `max_concurrency` is reached. @default 0 (none wait) */
  max_queue?: number;
  [key: string]: unknown;
}

/** Who and what a call belongs to. */
export interface ActionCallContext {
  tenantId: string;
  runId?: string;
  stepId?: string;
  /** Sent as `X-Correlation-ID`. @default the run id (or the idempotency key) */
  correlationId?: string;
  /** Sent as `Idempotency-Key`; the same key is sent again when a crashed call is retried. */
  idempotencyKey: string;
  /** Subject recorded in the audit entry. @default "system" */
  actor?: string;
  /** Attempt of the calling step (1-based); `retry_count` in the result is `attempt - 1`. @default 1 */
  attempt?: number;
  signal?: AbortSignal;
  /** OpenTelemetry context the call's span is a child of. @default the active context */
  traceContext?: Context;
}

/** The result of a call, kept as the step's output (`output: "result"`) or in its error. */
export interface ActionResult {
  action: string;
  type: ActionType;
  status: ActionStatus;
  /** Response data (parsed JSON, text, rows, message). */
  data?: unknown;
  /** HTTP status, gRPC status name, SQL row count... whatever the type reports. */
  response_code?: number | string;
  started_at: string;
  completed_at?: string;
  duration_ms: number;
  error_message?: string;
  /** Stable error code (`LLMT_E_*`). */
  error_type?: string;
  retry_count: number;
  idempotency_key: string;
  correlation_id: string;
}

/** What an action type's handler returns. */
export interface ActionResponse {
  data: unknown;
  code?: number | string;
}

/** Reads secrets for an action; a missing one is `LLMT_E_SECRET_NOT_FOUND` naming the action and field. */
export interface ActionSecrets {
  /** `field` is the config key that named the secret (e.g. `auth_config.token_secret`). */
  get(name: string, field?: string): Promise<string>;
}

/** Everything an action type's handler gets for one call. */
export interface ActionTypeContext extends Required<Pick<ActionCallContext, 'tenantId' | 'idempotencyKey'>> {
  /** Name of the action being called. */
  action: string;
  config: ActionConfig;
  runId?: string;
  stepId?: string;
  correlationId: string;
  attempt: number;
  /** Aborted on cancel and on the action's timeout. */
  signal: AbortSignal;
  secrets: ActionSecrets;
  logger: Logger;
  clock: Clock;
  /**
   * `text` with every secret the engine resolved replaced by `"[secret]"`. Scrub what the
   * far side answered with it before cutting it short: a secret cut in two is no longer
   * recognisable, and its first half would be kept.
   */
  redact(text: string): string;
  /** Present for `function` actions: the registered function. */
  fn?: ActionFunction;
  /**
   * W3C `traceparent` of the call's span, when the call is part of a trace: send it (HTTP
   * header, message header) so the far side continues the trace.
   */
  traceparent?: string;
  /** W3C `tracestate` that goes with `traceparent`. */
  tracestate?: string;
}

/**
 * A kind of action (`webhook`, `database`, ...). Plugins register one with
 * `api.registerActionType(handler)`; every action of that type is run by it.
 */
export interface ActionTypeHandler {
  /** The `type` value actions use. */
  type: ActionType;
  /**
   * When several plugins serve one type (e.g. `message_queue` over AMQP and over NATS):
   * whether this handler runs `config` (typically by its `broker` key). A handler without
   * it takes every action of its type, and then is the type's only handler.
   */
  accepts?: (config: ActionConfig) => boolean;
  /** JSON Schema of the type's own config keys (checked when an action is declared). */
  configSchema?: Record<string, unknown>;
  /** Semantic checks beyond the schema; return problems as `[field, message]`. */
  validate?: (config: ActionConfig) => Array<[string, string]>;
  /** Performs one call. Throw `LlmteamError`s: `retryable` decides whether the step retries. */
  execute(input: unknown, ctx: ActionTypeContext): Promise<ActionResponse>;
  /** Releases connections (engine stop). */
  close?(): Promise<void>;
}

/** A function action: plain code with the same limits, audit and result model. */
export type ActionFunction = (
  input: unknown,
  ctx: ActionTypeContext,
) => Promise<unknown | ActionResponse> | unknown;

/** Live state of an action, as GraphQL `actions` lists it. */
export interface ActionInfo {
  name: string;
  type: ActionType;
  description?: string;
  /** Where it was declared: `config`, `code` or a plugin name. */
  source: string;
  timeout_ms: number;
  retry_count: number;
  rate_limit?: ActionRateLimit;
  circuit_breaker?: ActionCircuitBreaker;
  max_concurrency?: number;
  /** `closed`, `open` or `half_open`; `closed` when the action has no breaker. */
  circuit_state: 'closed' | 'open' | 'half_open';
  /** Calls running now on this node. */
  in_flight: number;
  /** Problems of its config, when it fails its schema (then it cannot be called). */
  problems?: string[];
}

/** Options of one call through {@link ActionExecutor.execute}. */
export interface ActionExecuteOptions {
  /** @default the step's idempotency key (plus a call counter after the first call in a step) */
  idempotencyKey?: string;
  correlationId?: string;
  /** Overrides the audited actor. */
  actor?: string;
  /** OpenTelemetry context the call's span is a child of (e.g. a tool call's span). @default the step's */
  traceContext?: Context;
}

/** A record a call leaves for the commit of the step that made it. */
export interface ActionRecord {
  result: ActionResult;
  actor: string;
}
