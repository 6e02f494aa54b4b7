import {
  type Context,
  context,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { Logger } from '../catalog/types.js';
import { CORE_VERSION } from '../plugins/version.js';
import {
  CLOSED_INTERACTION_STATUSES,
  type InteractionRecord,
  type RunRecord,
  type StepStateRecord,
  TERMINAL_RUN_STATUSES,
} from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { pooledRandomHex } from '../util/random-hex.js';
import { withPlannedIds } from './durable-id-generator.js';
import { formatTraceparent, newRunTrace, type RunTrace, runTraceOf, stepSpanId } from './trace-context.js';

/** Tracing of an engine (`EngineOptions.telemetry`). */
export interface TelemetryOptions {
  /**
   * Where spans go. Give the SDK's tracer provider (with `new DurableIdGenerator()` as its
   * `idGenerator`) to trace one engine without registering anything globally.
   * @default the global provider of `@opentelemetry/api` (a no-op until an SDK registers)
   */
  tracerProvider?: TracerProvider;
}

/** What a commit changed, as {@link EngineTelemetry.committed} reads it. */
export interface CommittedTransition {
  /** The run before and after the commit. */
  before: RunRecord;
  after: RunRecord;
  /** Step records before the commit, by step id. */
  stepsBefore: ReadonlyMap<string, StepStateRecord>;
  /** Step records the commit wrote. */
  steps: ReadonlyMap<string, StepStateRecord>;
  /** Interactions the commit wrote. */
  interactions?: ReadonlyMap<string, InteractionRecord>;
  /** Step type of a step id. */
  stepType(stepId: string): string | undefined;
}

const TERMINAL = new Set<string>(TERMINAL_RUN_STATUSES);
// A step attempt runs (or waits) in these; the commit that moves it out ends its span.
const ATTEMPT_ENDS = new Set(['completed', 'failed', 'retry_wait', 'cancelled']);

function isLive(rec: StepStateRecord | undefined): rec is StepStateRecord {
  if (!rec || rec.attempt < 1) return false;
  return (
    rec.status === 'running' ||
    rec.status === 'waiting' ||
    (rec.status === 'pending' && !!rec.suspension?.pending)
  );
}

/**
 * The engine's spans. Runs, step attempts and waits for a person can outlive the process,
 * so they are emitted when they end, from what the store holds (their start times, the
 * run's stored {@link RunTrace}), with the ids their children already used. Model, tool
 * and action calls are short and happen in one process: they are ordinary live spans,
 * children of the step attempt's span through {@link stepContext}.
 */
export class EngineTelemetry {
  readonly tracer: Tracer;
  /** The global provider while no SDK has registered behind it: spans go nowhere yet. */
  private proxy?: ProxyTracerProvider;

  constructor(
    options: TelemetryOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    this.tracer = provider.getTracer('@llmteam/core', CORE_VERSION);
    if (provider instanceof ProxyTracerProvider) this.proxy = provider;
  }

  /**
   * False while spans go nowhere (no provider given and none registered globally yet): the
   * engine then skips the work of building them. Turns true for good once an SDK registers.
   */
  get tracing(): boolean {
    const proxy = this.proxy;
    if (proxy === undefined) return true;
    if (proxy.getDelegateTracer('@llmteam/core', CORE_VERSION) === undefined) return false;
    this.proxy = undefined;
    return true;
  }

  /**
   * The trace of a new run: it continues `traceparent` when given, else the span active
   * where `startRun` was called (an instrumented server's request span), else it starts one.
   * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a `traceparent` that is no W3C trace context
   */
  traceForNewRun(options: { traceparent?: string; tracestate?: string }): RunTrace {
    if (options.traceparent !== undefined) return newRunTrace(options, this.randomHex);
    const active = trace.getSpanContext(context.active());
    if (active && isSpanContextValid(active)) {
      return newRunTrace(
        {
          traceparent: formatTraceparent(active.traceId, active.spanId, active.traceFlags),
          tracestate: active.traceState?.serialize() || undefined,
        },
        this.randomHex,
      );
    }
    return newRunTrace({}, this.randomHex);
  }

  private readonly randomHex = pooledRandomHex();

  /** The context whose span is one attempt of a step: the parent of what the attempt does. */
  stepContext(run: RunRecord, stepId: string, attempt: number): Context {
    const t = runTraceOf(run);
    return trace.setSpanContext(ROOT_CONTEXT, {
      traceId: t.traceId,
      spanId: stepSpanId(t, stepId, attempt),
      traceFlags: t.flags,
      isRemote: true,
    });
  }

  /** Emits the spans a committed transition ended. Never throws. */
  committed(change: CommittedTransition): void {
    try {
      const now = this.clock.now();
      const trace = runTraceOf(change.after);
      for (const [stepId, rec] of change.steps) {
        const before = change.stepsBefore.get(stepId);
        if (!isLive(before) || !ATTEMPT_ENDS.has(rec.status)) continue;
        this.stepSpan(change, trace, before, rec, now);
      }
      for (const i of change.interactions?.values() ?? []) {
        if (CLOSED_INTERACTION_STATUSES.has(i.status)) this.waitSpan(change, i, now);
      }
      if (TERMINAL.has(change.after.status) && !TERMINAL.has(change.before.status))
        this.runSpan(change.after, trace, now);
    } catch (error) {
      this.logger.warn({ err: error, runId: change.after.runId }, 'could not emit the spans of a transition');
    }
  }

  private runSpan(run: RunRecord, t: RunTrace, now: number): void {
    const parent = t.parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: t.traceId,
          spanId: t.parentSpanId,
          traceFlags: t.flags,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    const span = this.late(
      t,
      t.spanId,
      `run ${run.segmentId}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: Date.parse(run.createdAt),
        root: !t.parentSpanId,
        attributes: {
          'llmteam.tenant_id': run.tenantId,
          'llmteam.run_id': run.runId,
          'llmteam.segment_id': run.segmentId,
          'llmteam.segment_version': run.segmentVersion,
          'llmteam.run.status': run.status,
          ...(run.forkedFrom ? { 'llmteam.run.forked_from': run.forkedFrom } : {}),
        },
      },
      parent,
    );
    if (run.status === 'failed') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: run.error?.message });
      if (run.error?.code) span.setAttribute('error.type', run.error.code);
    }
    span.end(run.completedAt ? Date.parse(run.completedAt) : now);
  }

  private stepSpan(
    change: CommittedTransition,
    t: RunTrace,
    before: StepStateRecord,
    rec: StepStateRecord,
    now: number,
  ): void {
    const stepId = rec.stepId;
    const runCtx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: t.traceId,
      spanId: t.spanId,
      traceFlags: t.flags,
      isRemote: true,
    });
    const status = rec.status === 'retry_wait' ? 'retrying' : rec.status;
    const stepType = change.stepType(stepId);
    const span = this.late(
      t,
      stepSpanId(t, stepId, before.attempt),
      `step ${stepId}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: before.startedAt ? Date.parse(before.startedAt) : now,
        attributes: {
          'llmteam.tenant_id': change.after.tenantId,
          'llmteam.run_id': change.after.runId,
          'llmteam.step_id': stepId,
          ...(stepType ? { 'llmteam.step_type': stepType } : {}),
          'llmteam.step.attempt': before.attempt,
          'llmteam.step.iteration': before.iteration,
          'llmteam.step.status': status,
          ...(before.suspension ? { 'llmteam.step.resumes': before.suspension.resumes } : {}),
        },
      },
      runCtx,
    );
    if (rec.status === 'failed' || rec.status === 'retry_wait') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: rec.error?.message });
      if (rec.error?.code) span.setAttribute('error.type', rec.error.code);
    }
    span.end(rec.finishedAt && rec.status !== 'retry_wait' ? Date.parse(rec.finishedAt) : now);
  }

  private waitSpan(change: CommittedTransition, i: InteractionRecord, now: number): void {
    // The attempt that asked: the step's attempt before this commit moved it on.
    const step = change.stepsBefore.get(i.stepId) ?? change.steps.get(i.stepId);
    const parent = this.stepContext(change.after, i.stepId, step?.attempt || 1);
    const span = this.tracer.startSpan(
      `wait ${i.type}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: Date.parse(i.createdAt),
        attributes: {
          'llmteam.tenant_id': i.tenantId,
          'llmteam.run_id': i.runId,
          'llmteam.step_id': i.stepId,
          'llmteam.interaction_id': i.interactionId,
          'llmteam.interaction.type': i.type,
          'llmteam.interaction.status': i.status,
          'llmteam.interaction.priority': i.priority,
          'llmteam.interaction.revision': i.revision,
          'llmteam.interaction.escalation_level': i.escalationLevel,
          ...(i.outcome ? { 'llmteam.interaction.action': i.outcome.action } : {}),
        },
      },
      parent,
    );
    if (i.status === 'timeout') span.setStatus({ code: SpanStatusCode.ERROR, message: 'no answer in time' });
    span.end(i.outcome?.at ? Date.parse(i.outcome.at) : now);
  }

  /** Starts a span that ends now but began earlier, with the ids planned for it. */
  private late(
    t: RunTrace,
    spanId: string,
    name: string,
    options: Parameters<Tracer['startSpan']>[1],
    parent: Context,
  ): Span {
    const span = withPlannedIds({ traceId: t.traceId, spanId }, () =>
      this.tracer.startSpan(name, options, parent),
    );
    if (span.isRecording() && span.spanContext().spanId !== spanId) this.warnIds();
    return span;
  }

  private warned = false;
  private warnIds(): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      {},
      'spans of runs and steps get new ids, so their children lose their parent: give the tracer provider `idGenerator: new DurableIdGenerator()` (from @llmteam/core) and a context manager',
    );
  }
}
