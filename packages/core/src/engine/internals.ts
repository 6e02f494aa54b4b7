import type { ActionRegistry } from '../actions/action-registry.js';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { Logger, StepTypeDefinition } from '../catalog/types.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import type { SegmentGraph } from '../segment/graph.js';
import type { StepDefinition } from '../segment/types.js';
import type { CommitLease, StepStateRecord, Store, TimerRecord } from '../store/types.js';
import type { EngineTelemetry } from '../telemetry/engine-telemetry.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import type { ChildRunLinks } from './child-runs.js';
import type { EngineSealing } from './engine-sealing.js';
import type { RunDriver } from './run-driver.js';
import type { StepContextImpl } from './step-context.js';
import type { StepSlots } from './step-slots.js';

/** The engine as its run drivers see it. */
export interface EngineInternals {
  readonly store: Store;
  readonly catalog: StepCatalog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly actions: ActionRegistry;
  readonly snapshotEvery: number;
  /** Set by `stop()`: outcomes still commit, but no step starts (the next claimer starts them). */
  readonly stopping: boolean;
  readonly snapshotOnError: boolean;
  /** Links between runs and the child runs their steps start. */
  readonly childRuns: ChildRunLinks;
  readonly telemetry: EngineTelemetry;
  /** Sealed fields: key providers, the sealer and each segment's sealing plan. */
  readonly sealing: EngineSealing;
  /** The slots step handlers run in, shared fairly between tenants. */
  readonly slots: StepSlots;
  /** Every secret value resolved so far: what leaves the process is scrubbed with it. */
  readonly redactor: SecretRedactor;
  /** An error as kept on steps and in events, with resolved secrets scrubbed. */
  errorInfo(error: unknown): { code: string; message: string; retryable?: boolean; details?: unknown };
  random(): number;
  nowIso(): string;
  /** Milliseconds of an ISO time (`Date.parse`, without the parse for the latest `nowIso`). */
  isoMs(iso: string): number;
  graphFor(tenantId: string, segmentId: string, version: string): Promise<SegmentGraph>;
  portsOf(def: StepDefinition): { inputs: Set<string>; outputs: Set<string> };
  makeContext(args: {
    driver: RunDriver;
    def: StepDefinition;
    type: StepTypeDefinition;
    rec: StepStateRecord;
    attempt: number;
    inputs: Record<string, unknown>;
  }): StepContextImpl;
  timerAdded(timers: TimerRecord[]): void;
  /** A fresh execution id for a step start (cheap, unique per engine). */
  nextExecution(): string;
  release(driver: RunDriver): void;
  /**
   * The lease a driver's commit takes (or, with `giveBack`, gives back), or undefined when
   * the store does not take leases in commits (`capabilities.commitLease`).
   */
  commitLease(giveBack: boolean): CommitLease | undefined;
}
