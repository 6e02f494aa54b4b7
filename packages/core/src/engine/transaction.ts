import type {
  AuditDraft,
  InteractionRecord,
  RunRecord,
  SnapshotRecord,
  StepStateRecord,
  TimerRecord,
  WorktrailEvent,
} from '../store/types.js';

/** A step the driver will start after the commit that marks it running. */
export interface Launch {
  stepId: string;
  attempt: number;
}

/**
 * Everything one run transition changes, gathered before the single store commit.
 * `run` is a private copy; step records are replaced, never mutated.
 */
export class Transaction {
  readonly steps = new Map<string, StepStateRecord>();
  readonly events: WorktrailEvent[] = [];
  readonly interactions = new Map<string, InteractionRecord>();
  readonly timersAdd: TimerRecord[] = [];
  readonly timersRemove: string[] = [];
  readonly timersConsume: string[] = [];
  readonly snapshots: SnapshotRecord[] = [];
  readonly audit: AuditDraft[] = [];
  readonly launches: Launch[] = [];
  /** Step ids whose in-flight handlers are aborted after the commit. */
  readonly aborts: Array<{ stepId: string; reason: unknown }> = [];
  /** Work to do once the commit succeeded (notifications, wake-ups). */
  readonly after: Array<() => void> = [];
  stepCompletions = 0;

  constructor(
    public run: RunRecord,
    private readonly makeEvent: (type: string, seq: number, stepId: string | undefined, data: Record<string, unknown>) => WorktrailEvent,
  ) {}

  /** Appends an event with the next `seq` of the run. */
  emit(type: string, stepId: string | undefined, data: Record<string, unknown> = {}): WorktrailEvent {
    const event = this.makeEvent(type, this.run.lastSeq + 1, stepId, data);
    this.run.lastSeq = event.seq;
    this.events.push(event);
    return event;
  }

  /** True when the commit would change nothing but the version. */
  get empty(): boolean {
    return (
      this.events.length === 0 &&
      this.steps.size === 0 &&
      this.interactions.size === 0 &&
      this.timersAdd.length === 0 &&
      this.timersRemove.length === 0 &&
      this.timersConsume.length === 0 &&
      this.snapshots.length === 0 &&
      this.audit.length === 0
    );
  }
}
