import { randomBytes } from 'node:crypto';
import { ActionRegistry } from '../actions/action-registry.js';
import { type AuditVerification, verifyAuditChain } from '../audit/hash-chain.js';
import { StepCatalog } from '../catalog/step-catalog.js';
import type { StepCommit, StepTimerHandler } from '../catalog/step-hooks.js';
import {
  envSecrets,
  type Logger,
  type RuntimeResources,
  type SecretsProvider,
  silentLogger,
} from '../catalog/types.js';
import { isConflict, LlmteamError, SegmentValidationError } from '../errors.js';
import type { NotificationChannel } from '../notify/types.js';
import type { HttpRoute } from '../plugins/http-route.js';
import { setupPlugins } from '../plugins/setup.js';
import { buildGraph, type SegmentGraph } from '../segment/graph.js';
import type { SegmentDefinition, StepDefinition } from '../segment/types.js';
import { stepPorts, type ValidationResult, validateSegment } from '../segment/validate.js';
import type {
  AuditDraft,
  AuditRecord,
  InteractionRecord,
  RunRecord,
  SegmentRecord,
  SnapshotRecord,
  StepStateRecord,
  Store,
  TimerRecord,
  WorktrailEvent,
} from '../store/types.js';
import { OPEN_INTERACTION_STATUSES, TERMINAL_RUN_STATUSES, WAITING_RUN_STATUSES } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import { type Clock, systemClock } from '../util/clock.js';
import { coalesce } from '../util/coalesce.js';
import { createUlidGenerator, type IdGenerator } from '../util/ids.js';
import { EventStream } from './event-stream.js';
import type { InteractionPort, InteractionPortFactory } from './interaction-port.js';
import type { EngineInternals } from './internals.js';
import { RunDriver } from './run-driver.js';
import { verifySnapshot } from './snapshot.js';
import { type ContextServices, StepContextImpl } from './step-context.js';
import { createTenantEngine, type TenantEngine } from './tenant-engine.js';
import type { Transaction } from './transaction.js';
import {
  type Actor,
  type CallScope,
  DEFAULT_TENANT,
  type Engine,
  type EngineOptions,
  type EventsOptions,
  type ListInteractionsQuery,
  type RespondOptions,
  type RunView,
  type StartRunOptions,
  type WaitingOn,
  type WaitOptions,
} from './types.js';

const SYSTEM: Actor = { subject: 'system' };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
// Besides `run.*`, the events that come with a change of run status (to waiting or back to
// running); a step completing or failing alone never changes it.
const STATUS_EVENTS = new Set([
  'step.suspended',
  'step.retrying',
  'snapshot.restored',
  'interaction.responded',
  'interaction.timed_out',
]);

/** A timer handler: fills the commit that consumes the timer (see `StepHooks.timers`). */
export type TimerHandler = StepTimerHandler;

/**
 * The durable engine: runs segments on a store, one atomic commit per transition. Made by
 * `createEngine`, which hands it core's interaction desk.
 */
export class DurableEngine implements Engine, EngineInternals {
  readonly store: Store;
  readonly catalog: StepCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly workerId: string;
  private readonly interactions: InteractionPort;
  readonly snapshotEvery: number;
  readonly snapshotOnError = true;
  readonly secrets: SecretsProvider[];
  readonly resources: RuntimeResources;
  readonly actions: ActionRegistry;
  readonly channels: NotificationChannel[];
  readonly linkSecret: string;
  readonly publicUrl?: string;
  readonly routes: HttpRoute[] = [];
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly randomFn: () => number;
  private readonly drivers = new Map<string, RunDriver>();
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly graphs = new Map<string, SegmentGraph>();
  private readonly stream: EventStream;
  private readyPromise?: Promise<void>;
  private running = false;
  private pollHandle: unknown;
  private wakeHandle: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;
  private polling?: Promise<void>;
  private pollAgain = false;
  private heartbeat: unknown;

  constructor(
    private readonly options: EngineOptions,
    interactions: InteractionPortFactory,
  ) {
    this.store = options.store;
    this.catalog = options.catalog ?? new StepCatalog();
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? createUlidGenerator(() => this.clock.now());
    this.logger = options.logger ?? silentLogger;
    this.workerId = options.workerId ?? `worker_${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.randomFn = options.random ?? Math.random;
    this.snapshotEvery = 0;
    this.secrets = [options.secrets ?? envSecrets()];
    this.resources = {
      stores: { ...(options.resources?.stores ?? {}) },
      clients: { ...(options.resources?.clients ?? {}) },
      llms: { ...(options.resources?.llms ?? {}) },
      actions: { ...(options.resources?.actions ?? {}) },
    };
    this.channels = [...(options.channels ?? [])];
    this.linkSecret = options.linkSecret ?? randomBytes(32).toString('hex');
    this.publicUrl = options.publicUrl;
    for (const t of options.stepTypes ?? []) this.catalog.register(t);
    this.actions = new ActionRegistry({
      secrets: this.secretsProvider,
      clock: this.clock,
      logger: this.logger,
      coordination: options.actionCoordination,
      outbound: options.outbound,
    });
    for (const type of options.actionTypes ?? []) this.actions.registerType(type);
    for (const [name, config] of Object.entries(options.actions ?? {})) this.actions.define(name, config);
    for (const [name, handler] of Object.entries(this.resources.actions)) {
      this.actions.defineFunction(name, (input, ctx) =>
        handler(input, {
          tenantId: ctx.tenantId,
          runId: ctx.runId ?? '',
          idempotencyKey: ctx.idempotencyKey,
          signal: ctx.signal,
        }),
      );
    }
    this.stream = new EventStream(this.store);
    this.interactions = interactions({
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      logger: this.logger,
      channels: this.channels,
      linkSecret: this.linkSecret,
      publicUrl: this.publicUrl,
      nowIso: () => this.nowIso(),
      withStep: (tenantId, runId, stepId, fn) => this.withStep(tenantId, runId, stepId, fn),
    });
  }

  // ---- EngineInternals ----

  random(): number {
    return this.randomFn();
  }

  private lastIso = { ms: Number.NaN, iso: '' };
  nowIso(): string {
    const ms = this.clock.now();
    if (ms !== this.lastIso.ms) this.lastIso = { ms, iso: new Date(ms).toISOString() };
    return this.lastIso.iso;
  }

  async graphFor(tenantId: string, segmentId: string, version: string): Promise<SegmentGraph> {
    const key = `${tenantId}\u0000${segmentId}\u0000${version}`;
    let graph = this.graphs.get(key);
    if (graph) return graph;
    const record = await this.store.getSegment(tenantId, segmentId, version);
    if (!record) {
      throw new LlmteamError(
        'LLMT_E_SEGMENT_NOT_FOUND',
        `segment "${segmentId}" version ${version} is not registered for tenant "${tenantId}"; upsert it first`,
      );
    }
    graph = buildGraph(
      record.definition as SegmentDefinition,
      (step) => this.catalog.get(step.step_type)?.backEdges,
    );
    this.graphs.set(key, graph);
    return graph;
  }

  private readonly ports = new WeakMap<StepDefinition, { inputs: Set<string>; outputs: Set<string> }>();
  portsOf(def: StepDefinition) {
    let ports = this.ports.get(def);
    if (!ports) {
      ports = stepPorts(def, this.catalog);
      this.ports.set(def, ports);
    }
    return ports;
  }

  makeContext(args: Parameters<EngineInternals['makeContext']>[0]): StepContextImpl {
    return new StepContextImpl(
      args.driver.tenantId,
      args.driver.runId,
      args.def,
      args.type,
      args.rec,
      args.attempt,
      args.inputs,
      this.contextServices,
      args.driver,
    );
  }

  private get contextServices(): ContextServices {
    this.services ??= {
      logger: this.logger,
      clock: this.clock,
      ids: this.ids,
      secrets: this.secretsProvider,
      resources: this.resources,
      actions: this.actions,
      fetch: (input, init) => globalThis.fetch(input, init),
      interactions: this.interactions,
      grants: this.options.permissions ?? {},
    };
    return this.services;
  }
  private services?: ContextServices;

  private readonly secretsProvider: SecretsProvider = {
    get: async (name, scope) => {
      for (const provider of this.secrets) {
        const value = await provider.get(name, scope);
        if (value !== undefined) return value;
      }
      return undefined;
    },
  };

  private executions = 0;
  nextExecution(): string {
    return `${this.workerId}.${++this.executions}`;
  }

  timerAdded(timers: TimerRecord[]): void {
    if (!this.running) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of timers) earliest = Math.min(earliest, Date.parse(t.dueAt));
    this.armWake(earliest);
  }

  release(driver: RunDriver): void {
    if (this.drivers.get(driver.key) !== driver) return;
    this.drivers.delete(driver.key);
    const done = this.store
      .releaseLease(driver.tenantId, driver.runId, this.workerId)
      .catch((error) =>
        this.logger.warn({ err: error, runId: driver.runId }, 'could not release a run lease'),
      )
      .finally(() => {
        if (this.releasing.get(driver.key) === done) this.releasing.delete(driver.key);
      });
    this.releasing.set(driver.key, done);
  }

  /** Takes a run whose lease is free and starts the steps that are ready. */
  private async continueIfFree(tenantId: string, runId: string): Promise<void> {
    try {
      const driver = await this.driverFor(tenantId, runId);
      if (driver && !driver.released) await driver.mutate(() => undefined);
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'could not continue a run');
    }
  }

  // ---- lifecycle ----

  private ready(): Promise<void> {
    this.readyPromise ??= (async () => {
      await this.store.init();
      await setupPlugins(this.options.plugins ?? [], {
        catalog: this.catalog,
        logger: this.logger,
        channels: this.channels,
        resources: this.resources,
        secrets: this.secrets,
        routes: this.routes,
        actions: this.actions,
      });
      // Plugins may add action types: configs of those types are checked now, before any run.
      this.actions.checkAll();
    })();
    return this.readyPromise;
  }

  async start(): Promise<void> {
    await this.ready();
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    const tick = () => {
      if (!this.running) return;
      this.poll().finally(() => {
        if (this.running) this.pollHandle = this.clock.setTimeout(tick, this.pollIntervalMs);
      });
    };
    tick();
    const beat = () => {
      if (!this.running) return;
      this.renewLeases().finally(() => {
        if (this.running)
          this.heartbeat = this.clock.setTimeout(beat, Math.max(50, Math.floor(this.leaseMs / 3)));
      });
    };
    this.heartbeat = this.clock.setTimeout(beat, Math.max(50, Math.floor(this.leaseMs / 3)));
  }

  stopping = false;

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.running = false;
    this.stopping = true;
    this.clock.clearTimeout(this.pollHandle);
    this.clock.clearTimeout(this.wakeHandle);
    this.clock.clearTimeout(this.heartbeat);
    this.wakeAt = Number.POSITIVE_INFINITY;
    // A poll in progress finishes before the caller closes the store.
    await this.polling?.catch(() => undefined);
    const drivers = [...this.drivers.values()];
    const grace = options.graceMs ?? 5000;
    const idle = Promise.all(drivers.map((d) => d.idle()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      idle.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), grace);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // In-flight handlers are abandoned, not failed: their steps stay `running` and run again
      // (same idempotency key) when any engine claims the run.
      for (const d of drivers) d.abortAll(new LlmteamError('LLMT_E_STEP_CANCELLED', 'the engine stopped'));
    }
    await Promise.all([...this.releasing.values()]);
    for (const d of this.drivers.values())
      await this.store.releaseLease(d.tenantId, d.runId, this.workerId).catch(() => undefined);
    this.stream.close();
    await Promise.all(this.channels.map((c) => c.close?.().catch(() => undefined)));
    await this.actions.close().catch((error) => this.logger.warn({ err: error }, 'closing actions failed'));
  }

  private armWake(at: number): void {
    if (!this.running || at >= this.wakeAt) return;
    this.clock.clearTimeout(this.wakeHandle);
    this.wakeAt = at;
    this.wakeHandle = this.clock.setTimeout(
      () => {
        this.wakeAt = Number.POSITIVE_INFINITY;
        void this.poll();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Fires due timers and claims orphaned runs. Called by the loop; tests may call it directly. */
  poll(): Promise<void> {
    // A call during a poll waits for it and polls once more: the caller sees every timer due
    // at the time of its call fired (the running poll may have read an earlier time).
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    const run = (async () => {
      do {
        this.pollAgain = false;
        await this.pollOnce();
      } while (this.pollAgain);
    })().finally(() => {
      this.polling = undefined;
    });
    this.polling = run;
    return run;
  }

  private async pollOnce(): Promise<void> {
    try {
      const now = this.nowIso();
      for (;;) {
        const timers = await this.store.claimDueTimers({
          owner: this.workerId,
          leaseMs: this.leaseMs,
          now,
          limit: 100,
        });
        await Promise.all(timers.map((t) => this.fireTimer(t)));
        if (timers.length < 100) break;
      }
      const claimed = await this.store.claimRuns({
        owner: this.workerId,
        leaseMs: this.leaseMs,
        now,
        limit: 50,
      });
      for (const { tenantId, runId } of claimed) {
        if (this.drivers.has(`${tenantId}\u0000${runId}`)) continue;
        // Recovering earlier claims took time: renew this one, or leave it to its new holder.
        const held = await this.store
          .acquireLease(tenantId, runId, { owner: this.workerId, leaseMs: this.leaseMs, now: this.nowIso() })
          .catch(() => false);
        if (!held) continue;
        await this.recover(tenantId, runId).catch((error) =>
          this.logger.error({ err: error, runId }, 'could not recover a run'),
        );
      }
      const next = await this.store.nextTimerDue();
      if (next) {
        // A timer still due after this poll is leased by another worker or its handler
        // failed: look again at the regular interval, never in a tight loop.
        const dueAt = Date.parse(next);
        const now = this.clock.now();
        this.armWake(dueAt > now ? dueAt : now + this.pollIntervalMs);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'timer poll failed');
    }
  }

  private async renewLeases(): Promise<void> {
    const now = this.nowIso();
    await Promise.all(
      [...this.drivers.values()].map(async (d) => {
        if (d.released) return;
        // A store error is not a lost lease: the next heartbeat tries again.
        const held = await this.store
          .acquireLease(d.tenantId, d.runId, { owner: this.workerId, leaseMs: this.leaseMs, now })
          .catch(() => true);
        // Released while renewing: give the lease back, so a waiting run holds none.
        if (d.released && !this.drivers.has(d.key) && !this.releasing.has(d.key))
          await this.store.releaseLease(d.tenantId, d.runId, this.workerId).catch(() => undefined);
        else if (!held && !d.released && this.drivers.get(d.key) === d) {
          // Another worker holds the run now: stop driving it and abort what runs here.
          this.drivers.delete(d.key);
          d.markLost();
        }
      }),
    );
  }

  /** Continues a run after a crash: steps that were in flight run again with the same attempt. */
  private async recover(tenantId: string, runId: string): Promise<void> {
    const driver = new RunDriver(this, tenantId, runId);
    if (!(await driver.load())) {
      await this.store.releaseLease(tenantId, runId, this.workerId);
      return;
    }
    // Something in this process took the run meanwhile: it drives it.
    if (this.drivers.get(driver.key)?.released === false) return;
    this.drivers.set(driver.key, driver);
    await driver.mutate((tx) => {
      if (tx.run.status !== 'pending' && tx.run.status !== 'running') return;
      if (tx.run.status === 'pending') {
        tx.run.status = 'running';
        tx.emit('run.started', undefined, { recovered: true });
      }
      for (const rec of driver.steps.values()) {
        if (rec.status === 'running') {
          // Put it back to pending with the attempt unchanged: advance starts it again
          // (same idempotency key) in this very commit.
          driver.setStep(tx, {
            ...rec,
            status: 'pending',
            attempt: rec.attempt - 1,
            iterationAttempts: Math.max(0, rec.iterationAttempts - 1),
          });
        }
      }
    });
  }

  /**
   * The handler of a timer: the engine's own `retry`, else the kind its step's type owns
   * (`StepHooks.timers`), else one of the interaction desk's kinds.
   */
  private timerHandler(driver: RunDriver, timer: TimerRecord): StepTimerHandler | undefined {
    const def = timer.stepId ? driver.graph.steps.get(timer.stepId) : undefined;
    if (!def) return undefined;
    const own = this.catalog.get(def.step_type)?.timers;
    if (own && Object.hasOwn(own, timer.kind)) return own[timer.kind];
    return Object.hasOwn(this.interactions.timers, timer.kind)
      ? this.interactions.timers[timer.kind]
      : undefined;
  }

  private async fireTimer(timer: TimerRecord): Promise<void> {
    let first = true;
    try {
      await this.withRun(timer.tenantId, timer.runId, async (driver, tx) => {
        if (!first) {
          const still = await this.store.listTimers(timer.tenantId, timer.runId);
          if (!still.some((t) => t.timerId === timer.timerId)) return;
        }
        first = false;
        tx.timersConsume.push(timer.timerId);
        if (timer.kind === 'retry') {
          driver.retryDue(tx, timer.stepId!);
          return;
        }
        const handler = this.timerHandler(driver, timer);
        if (!handler) {
          this.logger.warn(
            { kind: timer.kind, timerId: timer.timerId },
            'no handler for timer kind; dropped',
          );
          return;
        }
        await handler(driver.commitFor(tx, timer.stepId!), timer);
      });
    } catch (error) {
      if (error instanceof LlmteamError && error.code === 'LLMT_E_RUN_NOT_FOUND') return;
      this.logger.error({ err: error, timerId: timer.timerId }, 'timer failed');
    }
  }

  // ---- run access ----

  private async driverFor(tenantId: string, runId: string): Promise<RunDriver | undefined> {
    const key = `${tenantId}\u0000${runId}`;
    for (;;) {
      const existing = this.drivers.get(key);
      if (existing && !existing.released) return existing;
      const pendingRelease = this.releasing.get(key);
      if (pendingRelease) await pendingRelease;
      else break;
    }
    const acquired = await this.store.acquireLease(tenantId, runId, {
      owner: this.workerId,
      leaseMs: this.leaseMs,
      now: this.nowIso(),
    });
    if (!acquired) return undefined;
    const again = this.drivers.get(key);
    if (again && !again.released) return again;
    const driver = new RunDriver(this, tenantId, runId);
    if (!(await driver.load())) {
      await this.store.releaseLease(tenantId, runId, this.workerId);
      throw new LlmteamError('LLMT_E_RUN_NOT_FOUND', `run "${runId}" does not exist in tenant "${tenantId}"`);
    }
    // A concurrent call may have set up a driver while this one loaded: use that one, so
    // one run never has two drivers (two queues) in this process.
    const raced = this.drivers.get(key);
    if (raced && !raced.released) return raced;
    this.drivers.set(key, driver);
    return driver;
  }

  /**
   * Applies a change to a run in one commit. In this process's driver when it holds the
   * run's lease; otherwise as a detached, version-checked commit that the lease holder
   * picks up.
   */
  async withRun<T>(
    tenantId: string,
    runId: string,
    fn: (driver: RunDriver, tx: Transaction) => T | Promise<T>,
  ): Promise<T> {
    await this.ready();
    for (let attempt = 0; ; attempt++) {
      const driver = await this.driverFor(tenantId, runId);
      if (driver) {
        if (driver.released) continue;
        return driver.mutate((tx) => fn(driver, tx));
      }
      const detached = new RunDriver(this, tenantId, runId);
      if (!(await detached.load()))
        throw new LlmteamError(
          'LLMT_E_RUN_NOT_FOUND',
          `run "${runId}" does not exist in tenant "${tenantId}"`,
        );
      try {
        const result = await detached.mutateDetached((tx) => fn(detached, tx));
        // The lease holder may let go before it sees this change: start what it made ready
        // (should the holder still keep the lease, the next poll recovers the run).
        if (detached.run.status === 'running') void this.continueIfFree(tenantId, runId);
        return result;
      } catch (error) {
        if (!isConflict(error) || attempt > 20) throw error;
      }
    }
  }

  /** Runs `fn` in one commit of the run, bound to one of its steps (the hooks' view). */
  withStep<T>(
    tenantId: string,
    runId: string,
    stepId: string,
    fn: (commit: StepCommit) => T | Promise<T>,
  ): Promise<T> {
    return this.withRun(tenantId, runId, (driver, tx) => fn(driver.commitFor(tx, stepId)));
  }

  private scope(scope?: CallScope): { tenantId: string; actor: Actor } {
    return { tenantId: scope?.tenantId ?? DEFAULT_TENANT, actor: scope?.actor ?? SYSTEM };
  }

  // ---- segments ----

  validate(segment: unknown): ValidationResult {
    return validateSegment(segment, this.catalog);
  }

  async upsertSegment(segment: unknown, scope?: CallScope): Promise<SegmentRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const result = this.validate(segment);
    if (!result.valid) throw new SegmentValidationError(result.problems);
    const def = result.segment!;
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
    return record;
  }

  // ---- runs ----

  async startRun(options: StartRunOptions): Promise<RunRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(options);
    if (options.idempotencyKey) {
      const existing = await this.store.findRunByIdempotencyKey(tenantId, options.idempotencyKey);
      if (existing) return existing;
    }
    let segment: SegmentRecord | undefined;
    if (options.segment !== undefined) segment = await this.upsertSegment(options.segment, { tenantId });
    else if (options.segmentId) {
      segment = await this.store.getSegment(tenantId, options.segmentId, options.version);
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
    const now = this.nowIso();
    const runId = this.ids('run');
    const run: RunRecord = {
      runId,
      tenantId,
      segmentId: segment.segmentId,
      segmentVersion: segment.version,
      status: 'pending',
      input: options.input ?? null,
      version: 1,
      lastSeq: 1,
      idempotencyKey: options.idempotencyKey,
      stepsCompleted: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.createRun(
        run,
        [],
        { actor: actor.subject },
        {
          action: 'run.created',
          actor: actor.subject,
          target: segment.segmentId,
          data: { version: segment.version },
        },
      );
    } catch (error) {
      if (isConflict(error) && options.idempotencyKey) {
        const winner = await this.store.findRunByIdempotencyKey(tenantId, options.idempotencyKey);
        if (winner) return winner;
      }
      throw error;
    }
    return this.begin(tenantId, run, graph);
  }

  /** The commit that creates a run: its header, any steps, `run.created` and an audit entry. */
  private createRun(
    run: RunRecord,
    steps: StepStateRecord[],
    data: Record<string, unknown>,
    audit: Pick<AuditDraft, 'action' | 'actor' | 'target' | 'data'>,
  ): Promise<unknown> {
    const { tenantId, runId, createdAt } = run;
    return this.store.commit({
      tenantId,
      runId,
      expectedVersion: 0,
      run,
      steps: steps.length ? steps : undefined,
      events: [
        {
          event_id: `${runId}.1`,
          tenant_id: tenantId,
          run_id: runId,
          seq: 1,
          type: 'run.created',
          timestamp: createdAt,
          data: { segment_id: run.segmentId, version: run.segmentVersion, ...data },
        },
      ],
      audit: [{ tenantId, runId, timestamp: createdAt, ...audit }],
    });
  }

  /** Takes the lease on a new run and starts its entry steps (one commit). */
  private async begin(
    tenantId: string,
    run: RunRecord,
    graph: SegmentGraph,
    steps: StepStateRecord[] = [],
  ): Promise<RunRecord> {
    const acquired = await this.store.acquireLease(tenantId, run.runId, {
      owner: this.workerId,
      leaseMs: this.leaseMs,
      now: this.nowIso(),
    });
    // Another worker claimed it first, or a poll here already drives it.
    if (!acquired) return run;
    const existing = this.drivers.get(`${tenantId}\u0000${run.runId}`);
    if (existing && !existing.released) return run;
    const driver = new RunDriver(this, tenantId, run.runId);
    driver.adopt(run, steps, graph);
    this.drivers.set(driver.key, driver);
    await driver.mutate((tx) => {
      // After a conflict the run may have moved on (another worker started it): leave it.
      if (tx.run.status !== 'pending') return;
      tx.run.status = 'running';
      tx.emit('run.started', undefined, {
        input: run.forkedFrom ? undefined : true,
        forked_from: run.forkedFrom,
      });
    });
    return driver.run;
  }

  async getRun(runId: string, scope?: CallScope): Promise<RunView | undefined> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    const run = await this.store.getRun(tenantId, runId);
    if (!run) return undefined;
    return { run, steps: await this.store.getSteps(tenantId, runId) };
  }

  private async mustGetRun(tenantId: string, runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(tenantId, runId);
    if (!run)
      throw new LlmteamError('LLMT_E_RUN_NOT_FOUND', `run "${runId}" does not exist in tenant "${tenantId}"`);
    return run;
  }

  async waitForRun(runId: string, options: WaitOptions = {}): Promise<RunRecord> {
    await this.ready();
    const { tenantId } = this.scope(options);
    const until = new Set(options.until ?? [...TERMINAL_RUN_STATUSES, ...WAITING_RUN_STATUSES, 'paused']);
    const timeoutMs = options.timeoutMs ?? 30_000;
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

  async waitingOn(runId: string, scope?: CallScope): Promise<WaitingOn> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    await this.mustGetRun(tenantId, runId);
    const [interactions, timers, steps] = await Promise.all([
      this.store.listInteractions(tenantId, {
        runId,
        status: [...OPEN_INTERACTION_STATUSES],
      }),
      this.store.listTimers(tenantId, runId),
      this.store.getSteps(tenantId, runId),
    ]);
    return {
      interactions,
      timers: timers.sort((a, b) => (a.dueAt < b.dueAt ? -1 : 1)),
      actions: steps.filter((s) => s.status === 'waiting' && s.suspension?.kind === 'action'),
    };
  }

  async cancelRun(runId: string, scope?: CallScope & { reason?: string }): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    return this.withRun(tenantId, runId, async (driver, tx) => {
      if (TERMINAL.has(tx.run.status)) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is already ${tx.run.status}; only an unfinished run can be cancelled`,
        );
      }
      tx.run.status = 'cancelled';
      tx.run.completedAt = this.nowIso();
      await driver.closeOpenWork(tx, {
        cause: 'cancelled',
        code: 'LLMT_E_STEP_CANCELLED',
        message: `run cancelled by ${actor.subject}`,
      });
      tx.emit('run.cancelled', undefined, { actor: actor.subject, reason: scope?.reason });
      tx.audit.push({
        tenantId,
        action: 'run.cancelled',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
        data: { reason: scope?.reason },
      });
      return undefined;
    }).then(() => this.mustGetRun(tenantId, runId));
  }

  async pauseRun(runId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (driver, tx) => {
      if (TERMINAL.has(tx.run.status) || tx.run.status === 'paused') {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is ${tx.run.status}; only an active or waiting run can be paused`,
        );
      }
      tx.run.pausedFrom = tx.run.status;
      tx.run.status = 'paused';
      tx.emit('run.paused', undefined, { actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'run.paused',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
      });
      tx.snapshots.push(driver.snapshotOf(tx, 'pause'));
    });
    return this.mustGetRun(tenantId, runId);
  }

  async resumeRun(runId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (_driver, tx) => {
      if (tx.run.status !== 'paused') {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is ${tx.run.status}, not paused; nothing to resume`,
        );
      }
      tx.run.status = 'running';
      tx.run.pausedFrom = undefined;
      tx.emit('run.resumed', undefined, { actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'run.resumed',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, runId);
  }

  async resumeStep(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (driver, tx) => {
      const rec = driver.step(tx, stepId);
      if (rec.status !== 'waiting' || !rec.suspension) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `step "${stepId}" of run "${runId}" is ${rec.status}, not suspended; only a suspended step can be resumed`,
        );
      }
      driver.rerun(tx, stepId, data);
      tx.audit.push({
        tenantId,
        action: 'step.resumed',
        actor: actor.subject,
        runId,
        target: stepId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, runId);
  }

  async signal(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, async (driver, tx) => {
      if (!driver.graph.steps.has(stepId)) {
        throw new LlmteamError(
          'LLMT_E_INVALID_ARGUMENT',
          `run "${runId}" has no step "${stepId}"; signal a step of its segment`,
        );
      }
      const commit = driver.commitFor(tx, stepId);
      if (!(await commit.signal(data))) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `step "${stepId}" of run "${runId}" is ${commit.state.status}, not waiting; only a waiting step takes a signal`,
        );
      }
      commit.audit({ action: 'step.signalled', actor: actor.subject, target: stepId });
    });
    return this.mustGetRun(tenantId, runId);
  }

  // ---- snapshots ----

  async createSnapshot(runId: string, scope?: CallScope): Promise<SnapshotRecord> {
    const { tenantId, actor } = this.scope(scope);
    return this.withRun(tenantId, runId, (driver, tx) => {
      const snapshot = driver.snapshotOf(tx, 'manual');
      tx.snapshots.push(snapshot);
      tx.audit.push({
        tenantId,
        action: 'snapshot.created',
        actor: actor.subject,
        runId,
        target: snapshot.snapshotId,
        timestamp: this.nowIso(),
      });
      return snapshot;
    });
  }

  private async loadSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord> {
    const snapshot = await this.store.getSnapshot(tenantId, snapshotId);
    if (!snapshot)
      throw new LlmteamError(
        'LLMT_E_SNAPSHOT_NOT_FOUND',
        `snapshot "${snapshotId}" does not exist in tenant "${tenantId}"`,
      );
    verifySnapshot(snapshot);
    return snapshot;
  }

  /** Steps as they restart from a snapshot: what was in flight or waiting runs again. */
  private restartable(steps: StepStateRecord[], runId: string): StepStateRecord[] {
    return steps.map((s) =>
      s.status === 'running' ||
      s.status === 'waiting' ||
      s.status === 'retry_wait' ||
      s.status === 'cancelled'
        ? {
            ...s,
            runId,
            status: 'pending' as const,
            suspension: undefined,
            error: undefined,
            finishedAt: undefined,
          }
        : { ...s, runId },
    );
  }

  async restoreSnapshot(snapshotId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    const snapshot = await this.loadSnapshot(tenantId, snapshotId);
    await this.withRun(tenantId, snapshot.runId, async (driver, tx) => {
      await driver.closeOpenWork(tx, {
        cause: 'restored',
        code: 'LLMT_E_STEP_CANCELLED',
        message: 'restored from a snapshot',
      });
      const restored = new Map(
        this.restartable(snapshot.state.steps, snapshot.runId).map((s) => [s.stepId, s]),
      );
      for (const stepId of driver.graph.steps.keys()) {
        const rec = restored.get(stepId) ?? {
          tenantId,
          runId: snapshot.runId,
          stepId,
          status: 'pending' as const,
          attempt: driver.step(tx, stepId).attempt,
          iterationAttempts: 0,
          iteration: 0,
        };
        // Attempts keep counting so idempotency keys of re-run steps stay unique.
        driver.setStep(tx, { ...rec, attempt: Math.max(rec.attempt, driver.step(tx, stepId).attempt) });
      }
      const s = snapshot.state.run;
      tx.run.status = 'running';
      tx.run.outputs = undefined;
      tx.run.error = undefined;
      tx.run.completedAt = undefined;
      tx.run.pausedFrom = undefined;
      tx.run.stepsCompleted = s.stepsCompleted;
      tx.emit('snapshot.restored', undefined, { snapshot_id: snapshotId, actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'snapshot.restored',
        actor: actor.subject,
        runId: snapshot.runId,
        target: snapshotId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, snapshot.runId);
  }

  async forkRun(snapshotId: string, scope?: CallScope): Promise<RunRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const snapshot = await this.loadSnapshot(tenantId, snapshotId);
    const source = snapshot.state.run;
    const graph = await this.graphFor(tenantId, source.segmentId, source.segmentVersion);
    const runId = this.ids('run');
    const now = this.nowIso();
    const run: RunRecord = {
      runId,
      tenantId,
      segmentId: source.segmentId,
      segmentVersion: source.segmentVersion,
      status: 'pending',
      input: source.input,
      version: 1,
      lastSeq: 1,
      forkedFrom: snapshotId,
      stepsCompleted: source.stepsCompleted,
      createdAt: now,
      updatedAt: now,
    };
    const steps = this.restartable(snapshot.state.steps, runId);
    await this.createRun(
      run,
      steps,
      { forked_from: snapshotId, source_run: source.runId, actor: actor.subject },
      { action: 'run.forked', actor: actor.subject, target: snapshotId, data: { sourceRun: source.runId } },
    );
    return this.begin(tenantId, run, graph, steps);
  }

  // ---- events ----

  events(runId: string, options: EventsOptions = {}): AsyncIterableIterator<WorktrailEvent> {
    const { tenantId } = this.scope(options);
    return this.stream.follow(tenantId, runId, options.afterSeq ?? 0, options.signal);
  }

  onEvent(
    listener: (event: WorktrailEvent) => void,
    filter: { tenantId?: string; types?: string[] } = {},
  ): () => void {
    const tenantId = filter.tenantId ?? DEFAULT_TENANT;
    const types = filter.types?.length ? new Set(filter.types) : undefined;
    return this.stream.onEvent((e) => {
      if ((tenantId === '*' || e.tenant_id === tenantId) && (!types || types.has(e.type))) listener(e);
    });
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

  async listAudit(scope: CallScope & { from?: string; to?: string } = {}): Promise<AuditRecord[]> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    return this.store.listAudit(tenantId, { from: scope.from, to: scope.to });
  }

  async verifyAudit(scope?: CallScope): Promise<AuditVerification> {
    await this.ready();
    const { tenantId } = this.scope(scope);
    return verifyAuditChain(await this.store.listAudit(tenantId));
  }

  async eraseRun(runId: string, scope?: CallScope): Promise<void> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const run = await this.mustGetRun(tenantId, runId);
    if (!TERMINAL.has(run.status)) {
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
    });
  }

  forTenant(tenantId: string, actor: Actor = SYSTEM): TenantEngine {
    return createTenantEngine(this, tenantId, actor);
  }
}
