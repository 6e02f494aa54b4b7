// Types only: the browser build of the console reads records that carry it.

/**
 * The trace a run belongs to, stored in the run record (`RunRecord.trace`) when the run is
 * created. Everything a run emits after a restart is placed from it: the run span's id,
 * its parent (the caller's span, from the `traceparent` given to `startRun`) and the ids
 * of the step spans, which are derived from it, so no span has to stay in memory while a
 * run waits.
 */
export interface RunTrace {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** Id of the run's own span (16 lowercase hex digits). */
  spanId: string;
  /** The caller's span the run continues (from the incoming `traceparent`), if any. */
  parentSpanId?: string;
  /** W3C trace flags: bit 1 is "sampled". @default 1 */
  flags: number;
  /** The caller's W3C `tracestate`, passed on unchanged. */
  tracestate?: string;
}
