import type {
  CommitAdmission,
  InteractionRecord,
  RunRecord,
  SnapshotRecord,
  StepStateRecord,
  TimerRecord,
  WorktrailEvent,
} from '../store/types.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft, WorktrailEventMap, WorktrailEventType } from '../worktrail/event-types.js';

/** A step the driver will start after the commit that marks it running. */
export interface Launch {
  stepId: string;
  attempt: number;
  execution: string;
  /** Inputs computed when the step became ready (absent for a resumed step). */
  inputs?: Record<string, unknown>;
}

/** Makes the events of one run (ids, tenant, time). */
export interface EventFactory {
  makeEvent(
    type: string,
    seq: number,
    stepId: string | undefined,
    data: Record<string, unknown>,
  ): WorktrailEvent;
}

/**
 * Everything one run transition changes, gathered before the single store commit.
 * `run` is a private copy; step records are replaced, never mutated.
 */
export class Transaction {
  readonly steps = new Map<string, StepStateRecord>();
  readonly events: WorktrailEvent[] = [];
  readonly launches: Launch[] = [];
  /** Made without the run's lease: it must start no step. */
  detached = false;
  /** Steps whose readiness may have changed; all steps when undefined. */
  candidates?: string[];
  // Most transitions touch none of these: they are made on first use, through the getters
  // below; the commit reads the fields, so an untouched one stays undefined.
  _interactions?: Map<string, InteractionRecord>;
  _timersAdd?: TimerRecord[];
  _timersRemove?: string[];
  _timersConsume?: string[];
  _snapshots?: SnapshotRecord[];
  _audit?: TypedAuditDraft[];
  _aborts?: Array<{ stepId: string; reason: unknown }>;
  _after?: Array<() => void>;
  /** The limits the run's creating commit is admitted under (see `Commit.admit`). */
  _admit?: CommitAdmission[];

  constructor(
    public run: RunRecord,
    private readonly events$: EventFactory,
  ) {}

  /** Interactions to insert or replace. */
  get interactions(): Map<string, InteractionRecord> {
    this._interactions ??= new Map();
    return this._interactions;
  }
  get timersAdd(): TimerRecord[] {
    this._timersAdd ??= [];
    return this._timersAdd;
  }
  get timersRemove(): string[] {
    this._timersRemove ??= [];
    return this._timersRemove;
  }
  get timersConsume(): string[] {
    this._timersConsume ??= [];
    return this._timersConsume;
  }
  get snapshots(): SnapshotRecord[] {
    this._snapshots ??= [];
    return this._snapshots;
  }
  get audit(): TypedAuditDraft[] {
    this._audit ??= [];
    return this._audit;
  }
  /** Step ids whose in-flight handlers are aborted after the commit. */
  get aborts(): Array<{ stepId: string; reason: unknown }> {
    this._aborts ??= [];
    return this._aborts;
  }
  /** Work to do once the commit succeeded (notifications, wake-ups). */
  get after(): Array<() => void> {
    this._after ??= [];
    return this._after;
  }

  /** Appends an event with the next `seq` of the run; `type` and `data` follow the event registry. */
  emit<K extends WorktrailEventType>(
    type: K,
    stepId: string | undefined,
    data: WorktrailEventMap[K],
  ): WorktrailEvent {
    const event = this.events$.makeEvent(type, this.run.lastSeq + 1, stepId, data as Record<string, unknown>);
    this.run.lastSeq = event.seq;
    this.events.push(event);
    return event;
  }

  /** Appends an event a step handed over as a draft (type and data, checked by the registry). */
  emitDraft(draft: WorktrailEventDraft, stepId: string | undefined): WorktrailEvent {
    return this.emit(draft.type, stepId, draft.data);
  }

  /** True when the commit would change nothing but the version. */
  get empty(): boolean {
    return (
      this.events.length === 0 &&
      this.steps.size === 0 &&
      !this._interactions?.size &&
      !this._timersAdd?.length &&
      !this._timersRemove?.length &&
      !this._timersConsume?.length &&
      !this._snapshots?.length &&
      !this._audit?.length
    );
  }
}
