import type { Logger } from '../catalog/types.js';
import type { RetentionSweepResult, Store, TenantRetention } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parseDuration } from '../util/duration.js';

/** The retention schedule (`EngineOptions.retention`). */
export interface RetentionOptions {
  /**
   * How often a running engine applies every tenant's retention policy through the store's
   * `sweepRetention` (ISO 8601 duration or seconds, on the engine's clock); 0 turns the
   * schedule off. Stores without `sweepRetention` are never swept.
   * @default 'PT1H'
   */
  sweepEvery?: string | number;
}

/**
 * Sweeps the store's expired runs and snapshots on a schedule while the engine runs (the
 * first sweep one period after `start`), and on demand. Reached as `engine.retention`.
 */
export class RetentionSchedule {
  private readonly everyMs: number;
  private handle: unknown;
  private running = false;
  private inFlight?: Promise<RetentionSweepResult | undefined>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: RetentionOptions = {},
    /** Resolves when the store is ready (the engine's `init`). */
    private readonly ready: () => Promise<void> = async () => undefined,
    /** The tenants to sweep with their policies (the engine's tenants, tier limits applied). @default each stored tenant's record */
    private readonly policies?: () => Promise<TenantRetention[]>,
  ) {
    this.everyMs = parseDuration(options.sweepEvery ?? 'PT1H', 'retention.sweepEvery');
  }

  /** Whether the store can sweep (it has the `sweepRetention` role). */
  get supported(): boolean {
    return typeof this.store.sweepRetention === 'function';
  }

  /**
   * Applies every tenant's policy now, at the engine clock's time; resolves with what was
   * deleted (undefined when the store has no `sweepRetention`). A sweep already in
   * progress is joined, not doubled.
   */
  sweep(): Promise<RetentionSweepResult | undefined> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Resolves when the sweep in progress (if any) is done. */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /** Starts the schedule (called by `engine.start()`). */
  start(): void {
    if (this.running || this.everyMs <= 0 || !this.supported) return;
    this.running = true;
    this.arm();
  }

  /** Stops the schedule; a sweep in progress finishes (see {@link settled}). */
  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.handle);
  }

  private arm(): void {
    this.handle = this.clock.setTimeout(() => {
      if (!this.running) return;
      // The next one is due a full period after this one, however long this one takes.
      this.arm();
      this.sweep().catch((error) => this.logger.warn({ err: error }, 'retention sweep failed'));
    }, this.everyMs);
  }

  private async run(): Promise<RetentionSweepResult | undefined> {
    if (!this.store.sweepRetention) return undefined;
    await this.ready();
    const policies = await this.policies?.();
    const result = await this.store.sweepRetention({
      now: new Date(this.clock.now()).toISOString(),
      ...(policies ? { policies } : {}),
    });
    for (const t of result.tenants)
      this.logger.info(
        { tenantId: t.tenantId, runs: t.runs.length, snapshots: t.snapshotIds.length },
        'retention sweep deleted expired runs and snapshots',
      );
    return result;
  }
}
