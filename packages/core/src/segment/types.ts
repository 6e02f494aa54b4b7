/** Types of the portable segment contract (snake_case, as in the original JSON contract). */

export interface PortDefinition {
  port_id: string;
  data_type?: string;
  required?: boolean;
  description?: string;
}

/** How often a failed step runs again, and with which back-off. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 1 */
  max_attempts?: number;
  /** First back-off: ISO 8601 duration or seconds. @default "PT1S" */
  backoff?: string | number;
  /** Upper bound of one back-off. @default "PT5M" */
  max_backoff?: string | number;
  /** Growth factor between back-offs. @default 2 */
  multiplier?: number;
  /** Random spread, 0..1, applied to each back-off. @default 0.2 */
  jitter?: number;
}

/** What a step's failure does to the run: `fail` it, `continue` without the step's outputs, or `route` the error to the `error` port. */
export type OnError = 'fail' | 'continue' | 'route';

/** One step of a segment: its id, step type, config and ports. */
export interface StepDefinition {
  step_id: string;
  step_type: string;
  name?: string;
  description?: string;
  config?: Record<string, unknown>;
  inputs?: PortDefinition[];
  outputs?: PortDefinition[];
  /** Per-attempt limit: ISO 8601 duration or seconds. */
  timeout?: string | number;
  retry?: RetryPolicy;
  /** `fail` fails the run; `continue` settles the step with no output; `route` emits on the `error` port. @default "fail" */
  on_error?: OnError;
  metadata?: Record<string, unknown>;
}

/** An edge of a segment: from a step's output port to another step's input port. */
export interface EdgeDefinition {
  source_step: string;
  /** @default "output" */
  source_port?: string;
  target_step: string;
  /** @default "input" */
  target_port?: string;
}

/** A segment: the JSON workflow graph of ARCHITECTURE section 2 (snake_case field names). */
export interface SegmentDefinition {
  segment_id: string;
  name?: string;
  /** @default "1.0.0" */
  version?: string;
  description?: string;
  /**
   * JSON Schema (draft-07) the run input must satisfy: `startRun` refuses other input
   * (`LLMT_E_INPUT_INVALID`) with every problem and its path.
   */
  input_schema?: Record<string, unknown>;
  /** Take a snapshot every N completed steps (0: never). @default 0 */
  snapshot_every?: number;
  /**
   * Tokens (input + output) the model calls of one run may use in all, checked before each
   * call (`LLMT_E_TOKEN_BUDGET`). @default no limit
   */
  token_budget?: number;
  /**
   * How long a run may take from its start, waits and pauses included (ISO 8601 or
   * seconds). A run past it fails with `LLMT_E_RUN_TIMEOUT` and its open work is closed.
   * `startRun({ timeout })` overrides it. @default no limit
   */
  timeout?: string | number;
  /**
   * Retries after the first attempt for steps that set no `retry` of their own (and whose
   * step type has no default). `startRun({ maxRetries })` overrides it. @default 0
   */
  max_retries?: number;
  metadata?: Record<string, unknown>;
  steps: StepDefinition[];
  edges?: EdgeDefinition[];
}
