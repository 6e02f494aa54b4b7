import type { StepCommit, StepTimerHandler } from '../catalog/step-hooks.js';
import { isConflict, isLeaseHeld, LlmteamError } from '../errors.js';
import { moveRun } from '../lifecycle/run-state.js';
import { type SegmentGraph } from '../segment/graph.js';
import { readRunState } from '../store/run-state.js';
import type { RunRecord, RunState, StepStateRecord, TimerRecord } from '../store/types.js';
import { EngineServices } from './engine-services.js';
import { RunDriver } from './run-driver.js';
import { RUN_TIMEOUT_TIMER } from './run-limits.js';
import type { Transaction } from './transaction.js';
import { DEFAULT_STOP_OPTIONS, type StopOptions } from './types.js';

/** The worker: poll loop, run claims and leases, durable timers, crash recovery, run access. */
export abstract class EngineWorker extends EngineServices {
  timerAdded(timers: TimerRecord[]): void {
    if (!this.running) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of timers) earliest = Math.min(earliest, Date.parse(t.dueAt));
    this.armWake(earliest);
  }

  release(driver: RunDriver): void {
    if (this.drivers.get(driver.key) !== driver) return;
    this.drivers.delete(driver.key);
    // Given back by its last commit (or never taken): nothing to release.
    if (!driver.leaseHeld) return;
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
  protected async continueIfFree(tenantId: string, runId: string): Promise<void> {
    try {
      const { driver } = await this.driverFor(tenantId, runId);
      if (driver && !driver.released) await driver.mutate(() => undefined);
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'could not continue a run');
    }
  }

  // ---- lifecycle ----

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
    this.audit.start();
    this.retention.start();
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

  async stop(options: StopOptions = {}): Promise<void> {
    this.running = false;
    this.stopping = true;
    this.clock.clearTimeout(this.pollHandle);
    this.clock.clearTimeout(this.wakeHandle);
    this.clock.clearTimeout(this.heartbeat);
    this.audit.stop();
    this.retention.stop();
    this.wakeAt = Number.POSITIVE_INFINITY;
    // Steps waiting for a slot start nowhere here now: they run again where the run goes next.
    this.slots.flush();
    // A poll in progress finishes before the caller closes the store.
    await this.polling?.catch(() => undefined);
    const drivers = [...this.drivers.values()];
    const grace = options.graceMs ?? DEFAULT_STOP_OPTIONS.graceMs;
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

  protected armWake(at: number): void {
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

  protected async pollOnce(): Promise<void> {
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

  protected async renewLeases(): Promise<void> {
    const now = this.nowIso();
    await Promise.all(
      [...this.drivers.values()].map(async (d) => {
        // A driver whose last commit gave the lease back takes it again with its next one.
        if (d.released || !d.leaseHeld) return;
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
  protected async recover(tenantId: string, runId: string): Promise<void> {
    const driver = new RunDriver(this, tenantId, runId);
    driver.leaseHeld = true;
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
        moveRun(tx.run, 'running');
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
  protected timerHandler(driver: RunDriver, timer: TimerRecord): StepTimerHandler | undefined {
    const def = timer.stepId ? driver.graph.steps.get(timer.stepId) : undefined;
    if (!def) return undefined;
    const own = this.catalog.get(def.step_type)?.timers;
    if (own && Object.hasOwn(own, timer.kind)) return own[timer.kind];
    return Object.hasOwn(this.interactions.timers, timer.kind)
      ? this.interactions.timers[timer.kind]
      : undefined;
  }

  protected async fireTimer(timer: TimerRecord): Promise<void> {
    if (await this.childRuns.fire(timer)) return;
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
        if (timer.kind === RUN_TIMEOUT_TIMER) {
          await driver.timeOut(tx);
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

  /**
   * This process's driver of a run, made when there is none: with the lease taken by
   * `acquireLease`, or (a store with `commitLease`) from one `readRunState`, the lease then
   * taken by the driver's first commit. Without a driver, the run's state when it was read:
   * another worker holds the lease.
   */
  protected async driverFor(
    tenantId: string,
    runId: string,
    state?: RunState,
  ): Promise<{ driver?: RunDriver; state?: RunState }> {
    const key = `${tenantId}\u0000${runId}`;
    for (;;) {
      const existing = this.drivers.get(key);
      if (existing && !existing.released) return { driver: existing };
      const pendingRelease = this.releasing.get(key);
      if (pendingRelease) await pendingRelease;
      else break;
    }
    const driver = new RunDriver(this, tenantId, runId);
    if (this.store.capabilities.commitLease) {
      const read = state ?? (await readRunState(this.store, tenantId, { runId }));
      if (!read) throw notFound(tenantId, runId);
      const lease = read.lease;
      if (lease && lease.owner !== this.workerId && Date.parse(lease.until) > this.clock.now())
        return { state: read };
      await driver.adoptState(read);
    } else {
      const acquired = await this.store.acquireLease(tenantId, runId, {
        owner: this.workerId,
        leaseMs: this.leaseMs,
        now: this.nowIso(),
      });
      if (!acquired) return { state };
      driver.leaseHeld = true;
      const again = this.drivers.get(key);
      if (again && !again.released) return { driver: again };
      if (state) await driver.adoptState(state);
      else if (!(await driver.load())) {
        await this.store.releaseLease(tenantId, runId, this.workerId);
        throw notFound(tenantId, runId);
      }
    }
    // A concurrent call may have set up a driver while this one loaded: use that one, so
    // one run never has two drivers (two queues) in this process.
    const raced = this.drivers.get(key);
    if (raced && !raced.released) return { driver: raced };
    this.drivers.set(key, driver);
    return { driver };
  }

  /**
   * Applies a change to a run in one commit. In this process's driver when it holds (or,
   * with its commit, takes) the run's lease; otherwise as a detached, version-checked
   * commit that the lease holder picks up. `state`, when the caller read it already, saves
   * the driver's read.
   */
  async withRun<T>(
    tenantId: string,
    runId: string,
    fn: (driver: RunDriver, tx: Transaction) => T | Promise<T>,
    state?: RunState,
  ): Promise<T> {
    await this.ready();
    let refused = false;
    for (let attempt = 0; ; attempt++) {
      const found: { driver?: RunDriver; state?: RunState } = refused
        ? {}
        : await this.driverFor(tenantId, runId, state);
      state = undefined;
      const driver = found.driver;
      if (driver) {
        if (driver.released) continue;
        try {
          return await driver.mutate((tx) => fn(driver, tx));
        } catch (error) {
          if (!isLeaseHeld(error) || attempt > 20) throw error;
          // Another worker holds the run: this driver is done; the change goes detached.
          if (this.drivers.get(driver.key) === driver) this.drivers.delete(driver.key);
          refused = true;
          continue;
        }
      }
      const detached = new RunDriver(this, tenantId, runId);
      if (found.state) await detached.adoptState(found.state);
      else if (!(await detached.load())) throw notFound(tenantId, runId);
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
    state?: RunState,
  ): Promise<T> {
    return this.withRun(tenantId, runId, (driver, tx) => fn(driver.commitFor(tx, stepId)), state);
  }

  /** Takes the lease on a new run and starts its entry steps (one commit). */
  protected async begin(
    tenantId: string,
    run: RunRecord,
    graph: SegmentGraph,
    steps: StepStateRecord[] = [],
  ): Promise<{ run: RunRecord; driver?: RunDriver }> {
    const acquired = await this.store.acquireLease(tenantId, run.runId, {
      owner: this.workerId,
      leaseMs: this.leaseMs,
      now: this.nowIso(),
    });
    // Another worker claimed it first, or a poll here already drives it.
    if (!acquired) return { run };
    const existing = this.drivers.get(`${tenantId}\u0000${run.runId}`);
    if (existing && !existing.released) return { run, driver: existing };
    const driver = new RunDriver(this, tenantId, run.runId);
    driver.leaseHeld = true;
    driver.adopt(run, steps, graph);
    this.drivers.set(driver.key, driver);
    await driver.mutate((tx) => {
      // After a conflict the run may have moved on (another worker started it): leave it.
      if (tx.run.status !== 'pending') return;
      moveRun(tx.run, 'running');
      tx.emit('run.started', undefined, {
        input: run.forkedFrom ? undefined : true,
        forked_from: run.forkedFrom,
      });
    });
    return { run: driver.run, driver };
  }
}

function notFound(tenantId: string, runId: string): LlmteamError {
  return new LlmteamError('LLMT_E_RUN_NOT_FOUND', `run "${runId}" does not exist in tenant "${tenantId}"`);
}
