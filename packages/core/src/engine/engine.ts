import type { AuditVerifyOptions } from '../audit/audit-log.js';
import { AUDIT_PAGE_SIZE, listAuditPage } from '../audit/audit-pages.js';
import type { AuditVerification } from '../audit/hash-chain.js';
import type { StepTimerHandler } from '../catalog/step-hooks.js';
import { buildComplianceReport, type ComplianceReport } from '../compliance/compliance-report.js';
import { isConflict, LlmteamError, SegmentValidationError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import { runTokenUsage, tenantTokenUsage } from '../llm/token-usage.js';
import { checkSegmentReferences } from '../segment/references.js';
import type { SegmentDefinition } from '../segment/types.js';
import { type ValidationResult, validateSegment } from '../segment/validate.js';
import type {
  AuditRecord,
  InteractionRecord,
  ParentLink,
  RunRecord,
  SegmentRecord,
  WorktrailEvent,
} from '../store/types.js';
import { OPEN_INTERACTION_STATUSES, TERMINAL_RUN_STATUSES, WAITING_RUN_STATUSES } from '../store/types.js';
import { checkSegmentLimit } from '../tenancy/registry-limits.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import { coalesce } from '../util/coalesce.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { WorktrailEventType } from '../worktrail/event-types.js';
import { MAX_CHILD_DEPTH } from './child-runs.js';
import type { EngineInternals } from './internals.js';
import { type InvokeOptions, type InvokeResult, invokeRun } from './invoke.js';
import type { RunDriver } from './run-driver.js';
import { armDeadline, resolveRunLimits } from './run-limits.js';
import { createTenantEngine, type TenantEngine } from './tenant-engine.js';
import {
  type Actor,
  type AuditListQuery,
  type CallScope,
  DEFAULT_TENANT,
  DEFAULT_WAIT_OPTIONS,
  type Engine,
  type EventsOptions,
  type ListInteractionsQuery,
  type ReferenceValidationOptions,
  type RespondOptions,
  type RunView,
  type StartRunOptions,
  type WaitingOn,
  type WaitOptions,
} from './types.js';
import { type UnsealOptions, type UnsealResult, unsealRun } from './unseal.js';

// Besides `run.*`, the events that come with a change of run status (to waiting or back to
// running); a step completing or failing alone never changes it.
const STATUS_EVENTS = new Set<string>([
  'step.suspended',
  'step.retrying',
  'snapshot.restored',
  'interaction.responded',
  'interaction.timed_out',
] satisfies WorktrailEventType[]);

const SYSTEM: Actor = { subject: 'system' };

/** A timer handler: fills the commit that consumes the timer (see `StepHooks.timers`). */
export type TimerHandler = StepTimerHandler;

import { SnapshotCommands } from './snapshot-commands.js';

/**
 * The durable engine: runs segments on a store, one atomic commit per transition. Made by
 * `createEngine`, which hands it core's interaction desk.
 */
export class DurableEngine extends SnapshotCommands implements Engine, EngineInternals {
  // ---- segments ----

  validate(segment: unknown): ValidationResult {
    return validateSegment(segment, this.catalog);
  }

  async validateWithReferences(
    segment: unknown,
    options: ReferenceValidationOptions = {},
  ): Promise<ValidationResult> {
    const result = this.validate(segment);
    if (!result.valid) return result;
    await this.ready();
    const { tenantId } = this.scope(options);
    const given = options.segments ?? [];
    const problems = await checkSegmentReferences(result.segment!, this.catalog, async (id, version) => {
      const local = given.find(
        (s) => s.segment_id === id && (!version || (s.version ?? '1.0.0') === version),
      );
      if (local) return local;
      const found = await this.store.getSegment(tenantId, id, version);
      return found?.definition as SegmentDefinition | undefined;
    });
    return problems.length ? { valid: false, problems } : result;
  }

  async upsertSegment(segment: unknown, scope?: CallScope): Promise<SegmentRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const tenant = await this.tenants.require(tenantId);
    const result = await this.validateWithReferences(segment, { tenantId });
    if (!result.valid) throw new SegmentValidationError(result.problems);
    const def = result.segment!;
    await checkSegmentLimit(this.store, tenantId, def.segment_id, this.tenants.effective(tenant));
    // A stored version is what its runs execute: it is never replaced by other content.
    // The same content again is a no-op; new content without a version gets one of its own.
    let version = def.version ?? '1.0.0';
    const content = canonicalJson(def);
    const stored = await this.store.getSegment(tenantId, def.segment_id, version);
    if (stored && canonicalJson(stored.definition) === content) return stored;
    if (stored) {
      if (def.version !== undefined) {
        throw new LlmteamError(
          'LLMT_E_SEGMENT_VERSION_EXISTS',
          `segment "${def.segment_id}" version ${version} already exists with a different definition, and runs may be executing it; give the new definition another version`,
        );
      }
      version = `${version}+${sha256(content).slice(0, 12)}`;
      const again = await this.store.getSegment(tenantId, def.segment_id, version);
      if (again) return again;
    }
    const record: SegmentRecord = {
      tenantId,
      segmentId: def.segment_id,
      version,
      name: def.name ?? def.segment_id,
      definition: def,
      createdAt: this.nowIso(),
    };
    await this.store.putSegment(record, { actor: actor.subject, timestamp: record.createdAt });
    this.graphs.delete(`${tenantId}\u0000${record.segmentId}\u0000${record.version}`);
    this.graphOf(record);
    // The latest version now, for this engine's next starts.
    this.latestSegments.set(`${tenantId}\u0000${record.segmentId}`, {
      version: record.version,
      at: this.clock.now(),
    });
    return record;
  }

  // ---- runs ----

  /**
   * Starts a run; `parent` links it as the child run of a step (see `ctx.children`), which
   * its end is reported to.
   */
  async startRun(options: StartRunOptions, parent?: ParentLink): Promise<RunRecord> {
    return (await this.startDriven(options, parent)).run;
  }

  /** Starts a run and hands back the driver that runs it here, if this process does. */
  protected async startDriven(
    options: StartRunOptions,
    parent?: ParentLink,
  ): Promise<{ run: RunRecord; driver?: RunDriver }> {
    await this.ready();
    const { tenantId, actor } = this.scope(options);
    const tenant = await this.tenants.require(tenantId);
    // An idempotency key is checked by the creating commit (the store's unique key): a
    // second start with it is refused there, and the run that has it is returned.
    let segment: Pick<SegmentRecord, 'segmentId' | 'version'> | undefined;
    if (options.segment !== undefined) segment = await this.upsertSegment(options.segment, { tenantId });
    else if (options.segmentId) {
      segment = await this.segmentRef(tenantId, options.segmentId, options.version);
      if (!segment) {
        throw new LlmteamError(
          'LLMT_E_SEGMENT_NOT_FOUND',
          `segment "${options.segmentId}"${options.version ? ` version ${options.version}` : ''} is not registered for tenant "${tenantId}"; upsert it first`,
        );
      }
    } else {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'startRun needs `segmentId` (a registered segment) or `segment` (an inline definition)',
      );
    }
    const graph = await this.graphFor(tenantId, segment.segmentId, segment.version);
    this.sealing.checkInput(graph.segment, options.input ?? null, () =>
      this.inputSchemas.check(graph.segment, options.input ?? null),
    );
    const limits = resolveRunLimits(graph.segment, options);
    const trace = this.telemetry.traceForNewRun(options);
    const now = this.nowIso();
    const runId = this.ids('run');
    const input = await this.sealing.sealInput(graph.segment, tenantId, runId, options.input ?? null);
    const deadline = armDeadline(limits, { tenantId, runId }, this.clock.now(), this.ids('tmr'));
    const run: RunRecord = {
      runId,
      tenantId,
      segmentId: segment.segmentId,
      segmentVersion: segment.version,
      status: 'pending',
      input,
      version: 1,
      lastSeq: 1,
      idempotencyKey: options.idempotencyKey,
      ...(parent ? { parent } : {}),
      stepsCompleted: 0,
      ...(deadline.limits ? { limits: deadline.limits } : {}),
      trace,
      createdAt: now,
      updatedAt: now,
    };
    try {
      return await this.createAndBegin(
        run,
        [],
        graph,
        parent
          ? { actor: actor.subject, parent_run_id: parent.runId, parent_step_id: parent.stepId }
          : { actor: actor.subject },
        {
          action: 'run.created',
          actor: actor.subject,
          target: segment.segmentId,
          data: { version: segment.version },
        },
        deadline.timer,
        tenant,
      );
    } catch (error) {
      // A repeated start is answered with its run, even while the tenant is at a limit.
      const limited = error instanceof LlmteamError && error.code === 'LLMT_E_LIMIT_EXCEEDED';
      if ((isConflict(error) || limited) && options.idempotencyKey) {
        const winner = await this.store.findRunByIdempotencyKey(tenantId, options.idempotencyKey);
        if (winner) return { run: winner };
      }
      throw error;
    }
  }

  invoke(segmentId: string, input?: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    return invokeRun(
      {
        start: () => this.startDriven({ ...options, segmentId, input }),
        waitForRun: (runId, wait) => this.waitForRun(runId, { ...wait, ...this.scope(options) }),
        waitingOn: (runId) => this.waitingOn(runId, this.scope(options)),
      },
      options,
    );
  }

  async getRun(runId: string, scope?: CallScope): Promise<RunView | undefined> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    const run = await this.store.getRun(tenantId, runId);
    if (!run) return undefined;
    return { run, steps: await this.store.getSteps(tenantId, runId) };
  }

  async waitForRun(runId: string, options: WaitOptions = {}): Promise<RunRecord> {
    await this.ready();
    const { tenantId } = this.scope(options);
    const until = new Set(options.until ?? [...TERMINAL_RUN_STATUSES, ...WAITING_RUN_STATUSES, 'paused']);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_OPTIONS.timeoutMs;
    return new Promise<RunRecord>((resolve, reject) => {
      let done = false;
      const finish = (error: unknown, run?: RunRecord) => {
        if (done) return;
        done = true;
        unsubscribe();
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(run!);
      };
      const check = coalesce(async () => {
        if (done) return;
        const run = await this.store.getRun(tenantId, runId);
        if (!run) {
          finish(
            new LlmteamError('LLMT_E_RUN_NOT_FOUND', `run "${runId}" does not exist in tenant "${tenantId}"`),
          );
        } else if (until.has(run.status)) finish(undefined, run);
      }, finish);
      const unsubscribe = this.stream.onEvent((e) => {
        // Only these events can change the run's status.
        if (
          e.run_id === runId &&
          e.tenant_id === tenantId &&
          (e.type.startsWith('run.') || STATUS_EVENTS.has(e.type))
        )
          check();
      });
      const timer = setTimeout(
        () =>
          finish(
            new LlmteamError(
              'LLMT_E_TIMEOUT',
              `run "${runId}" did not reach ${[...until].join('/')} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      check();
    });
  }

  async unseal(runId: string, options: UnsealOptions & CallScope = {}): Promise<UnsealResult> {
    const { tenantId, actor } = this.scope(options);
    return unsealRun(
      (fn) => this.withRun(tenantId, runId, fn),
      (value) => this.sealing.openAll(value, tenantId),
      actor,
      runId,
      options,
      () => this.nowIso(),
    );
  }

  async waitingOn(runId: string, scope?: CallScope): Promise<WaitingOn> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    await this.mustGetRun(tenantId, runId);
    return this.waitingOnRun(tenantId, runId, 0);
  }

  /** What a run waits on, with what its child runs wait on (their requests included). */
  private async waitingOnRun(tenantId: string, runId: string, depth: number): Promise<WaitingOn> {
    const [interactions, timers, steps] = await Promise.all([
      this.store.listInteractions(tenantId, {
        runId,
        status: [...OPEN_INTERACTION_STATUSES],
      }),
      this.store.listTimers(tenantId, runId),
      this.store.getSteps(tenantId, runId),
    ]);
    const children: WaitingOn['children'] = [];
    for (const step of steps) {
      if (step.status !== 'waiting' || depth >= MAX_CHILD_DEPTH) continue;
      for (const childId of step.suspension?.children ?? []) {
        const child = await this.store.getRun(tenantId, childId);
        if (!child || isTerminalRun(child.status)) continue;
        const waiting = await this.waitingOnRun(tenantId, childId, depth + 1);
        children.push({ stepId: step.stepId, run: child, waitingOn: waiting });
        // A person asked inside a child is what the parent waits on too.
        interactions.push(...waiting.interactions);
      }
    }
    return {
      interactions,
      timers: timers.sort((a, b) => (a.dueAt < b.dueAt ? -1 : 1)),
      actions: steps.filter((s) => s.status === 'waiting' && s.suspension?.kind === 'action'),
      children,
    };
  }

  // ---- events ----

  events(runId: string, options: EventsOptions = {}): AsyncIterableIterator<WorktrailEvent> {
    const { tenantId } = this.scope(options);
    return this.stream.follow(tenantId, runId, options.afterSeq ?? 0, options.signal, options.progress);
  }

  onEvent(
    listener: (event: WorktrailEvent) => void,
    filter: { tenantId?: string; types?: string[] } = {},
  ): () => void {
    const tenantId = filter.tenantId ?? DEFAULT_TENANT;
    const types = filter.types?.length ? new Set(filter.types) : undefined;
    const deliver = (e: WorktrailEvent) => {
      if ((tenantId === '*' || e.tenant_id === tenantId) && (!types || types.has(e.type))) listener(e);
    };
    const off = this.stream.onEvent(deliver);
    // Live progress is not stored; only listeners that name it get it.
    if (!types?.has('step.progress')) return off;
    const offProgress = this.progress.onProgress(deliver);
    return () => {
      off();
      offProgress();
    };
  }

  // ---- interactions ----

  respond(interactionId: string, options: RespondOptions): Promise<InteractionRecord> {
    return this.interactions.respond(interactionId, options);
  }

  async listInteractions(query: ListInteractionsQuery = {}): Promise<InteractionRecord[]> {
    await this.ready();
    return this.interactions.list(query);
  }

  // ---- audit and erasure ----

  async listAudit(scope: CallScope & AuditListQuery = {}): Promise<AuditRecord[]> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    if (scope.limit === undefined && scope.afterSeq === undefined)
      return this.store.listAudit(tenantId, { from: scope.from, to: scope.to });
    // A page: read page by page from afterSeq, never the whole log.
    return listAuditPage(this.store, tenantId, {
      afterSeq: scope.afterSeq,
      limit: scope.limit ?? AUDIT_PAGE_SIZE,
      from: scope.from,
      to: scope.to,
    });
  }

  async verifyAudit(scope: CallScope & AuditVerifyOptions = {}): Promise<AuditVerification> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    return this.audit.verify(tenantId, scope);
  }

  /** The tenant's compliance report over `[from, to]` (see `buildComplianceReport`). */
  async complianceReport(query: CallScope & { from: string; to: string }): Promise<ComplianceReport> {
    await this.ready();
    const { tenantId } = this.scope(query);
    return buildComplianceReport(
      this.store,
      { tenantId, from: query.from, to: query.to },
      () => this.clock.now(),
      () => this.audit.verify(tenantId),
    );
  }

  tokenUsage(runId: string, scope?: CallScope) {
    const { tenantId } = this.scope(scope);
    return runTokenUsage(this.store, tenantId, runId, this.tokenPrices);
  }

  tenantTokenUsage(range: { from?: string; to?: string }, scope?: CallScope) {
    const { tenantId } = this.scope(scope);
    return tenantTokenUsage(this.store, tenantId, range, this.tokenPrices);
  }

  async eraseRun(runId: string, scope?: CallScope): Promise<void> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const run = await this.mustGetRun(tenantId, runId);
    if (!isTerminalRun(run.status)) {
      throw new LlmteamError(
        'LLMT_E_RUN_STATE',
        `run "${runId}" is ${run.status}; cancel it before erasing it`,
      );
    }
    await this.store.eraseRun(tenantId, runId, {
      tenantId,
      action: 'run.erased',
      actor: actor.subject,
      runId,
      timestamp: this.nowIso(),
      data: { segmentId: run.segmentId },
    } satisfies TypedAuditDraft<'run.erased'>);
  }

  forTenant(tenantId: string, actor: Actor = SYSTEM): TenantEngine {
    return createTenantEngine(this, tenantId, actor);
  }
}
