import type { WorktrailEvent } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';

/** What a step reports with `ctx.progress`: a piece of streamed text, a reset or the end. */
export interface ProgressUpdate {
  /** Text to append to the step's partial output. */
  text?: string;
  /** Drop the partial output so far (a retried model call starts over). */
  reset?: boolean;
  /** The streamed output is complete (it is stored by the step); forget the partial. */
  done?: boolean;
  /** Which model call of the step the text belongs to. */
  turn?: number;
}

/** Options of {@link LiveProgress}. */
export interface LiveProgressOptions {
  /**
   * At most one `step.progress` event per step in this many ms: a piece that arrives when
   * none was sent for that long goes out at once (the first token is not held back), the
   * pieces after it within the window go out together at its end.
   * @default 50
   */
  coalesceMs?: number;
}

/** Default of {@link LiveProgressOptions.coalesceMs}. */
export const PROGRESS_COALESCE_MS = 50;

interface Stream {
  tenantId: string;
  runId: string;
  stepId: string;
  turn?: number;
  text: string;
  /** Offset up to which events were sent. */
  sent: number;
  timer?: unknown;
  /** When the last text event went out (engine clock, ms). */
  sentAt?: number;
}

type Listener = (event: WorktrailEvent) => void;

/**
 * Live, unstored progress of running steps (an agent's streamed text). Pieces are coalesced
 * into `step.progress` events (`data.offset` is where `data.text` starts in the partial
 * output), sent to listeners of this process only; the partial text so far is kept, so a
 * subscriber that arrives mid-stream first gets it ({@link snapshot}). Events carry `seq` 0:
 * they are not part of the stored, gapless log. Nothing is kept once a step says `done`.
 */
export class LiveProgress {
  private readonly streams = new Map<string, Stream>();
  private readonly listeners = new Set<Listener>();
  private readonly coalesceMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    options: LiveProgressOptions = {},
  ) {
    this.coalesceMs = options.coalesceMs ?? PROGRESS_COALESCE_MS;
  }

  /** Records an update of one step and schedules (or sends) its event. */
  push(tenantId: string, runId: string, stepId: string, update: ProgressUpdate): void {
    const key = `${tenantId}\u0000${runId}\u0000${stepId}`;
    let stream = this.streams.get(key);
    if (update.reset) {
      if (stream?.timer !== undefined) this.clock.clearTimeout(stream.timer);
      stream = { tenantId, runId, stepId, turn: update.turn ?? stream?.turn, text: '', sent: 0 };
      this.streams.set(key, stream);
      this.send(stream, { offset: 0, text: '', reset: true });
    }
    if (!stream) {
      stream = { tenantId, runId, stepId, turn: update.turn, text: '', sent: 0 };
      this.streams.set(key, stream);
    }
    if (update.turn !== undefined && update.turn !== stream.turn) {
      // A new model call of the step: its text starts at offset 0.
      this.flush(stream);
      stream.turn = update.turn;
      stream.text = '';
      stream.sent = 0;
    }
    if (update.text) {
      stream.text += update.text;
      if (stream.timer === undefined) {
        const since =
          stream.sentAt === undefined ? Number.POSITIVE_INFINITY : this.clock.now() - stream.sentAt;
        if (since >= this.coalesceMs) this.flush(stream);
        else {
          const s = stream;
          s.timer = this.clock.setTimeout(() => {
            s.timer = undefined;
            this.flush(s);
          }, this.coalesceMs - since);
        }
      }
    }
    if (update.done) {
      this.flush(stream);
      this.streams.delete(key);
    }
  }

  /** The partial output of each streaming step of a run, as one event per step (offset 0). */
  snapshot(tenantId: string, runId: string): WorktrailEvent[] {
    const out: WorktrailEvent[] = [];
    for (const s of this.streams.values())
      if (s.tenantId === tenantId && s.runId === runId && s.text)
        out.push(this.event(s, { offset: 0, text: s.text, snapshot: true }));
    return out;
  }

  /** Follows every progress event of this process; returns a function that stops. */
  onProgress(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Steps with a partial output held (for tests and metrics). */
  get size(): number {
    return this.streams.size;
  }

  private flush(stream: Stream): void {
    if (stream.timer !== undefined) {
      this.clock.clearTimeout(stream.timer);
      stream.timer = undefined;
    }
    if (stream.sent >= stream.text.length) return;
    const offset = stream.sent;
    stream.sent = stream.text.length;
    stream.sentAt = this.clock.now();
    this.send(stream, { offset, text: stream.text.slice(offset) });
  }

  private send(stream: Stream, data: { offset: number; text: string; reset?: boolean }): void {
    const event = this.event(stream, data);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // One listener's failure must not starve the others.
      }
    }
  }

  private event(
    stream: Stream,
    data: { offset: number; text: string; reset?: boolean; snapshot?: boolean },
  ): WorktrailEvent {
    const draft = {
      type: 'step.progress',
      data: { ...(stream.turn !== undefined ? { turn: stream.turn } : {}), ...data },
    } as const;
    return {
      event_id: this.ids('evt'),
      tenant_id: stream.tenantId,
      run_id: stream.runId,
      seq: 0,
      type: draft.type,
      step_id: stream.stepId,
      timestamp: new Date(this.clock.now()).toISOString(),
      data: draft.data,
    };
  }
}

/** True for a live `step.progress` event (not stored, `seq` 0). */
export function isLiveProgress(event: WorktrailEvent): boolean {
  return event.seq === 0 && event.type === 'step.progress';
}

/**
 * Drops what a subscriber already has: a piece that repeats text it got from a snapshot,
 * or the part of it that does. Returns the event to deliver, or undefined.
 */
export function progressCursor(): (event: WorktrailEvent) => WorktrailEvent | undefined {
  const cursors = new Map<string, { turn: unknown; end: number }>();
  return (event) => {
    const step = event.step_id ?? '';
    const data = event.data as {
      turn?: number;
      offset?: number;
      text?: string;
      reset?: boolean;
      snapshot?: boolean;
    };
    const text = data.text ?? '';
    const offset = data.offset ?? 0;
    const cur = cursors.get(step);
    if (data.reset || data.snapshot || !cur || cur.turn !== data.turn) {
      cursors.set(step, { turn: data.turn, end: offset + text.length });
      return event;
    }
    if (offset + text.length <= cur.end) return undefined;
    if (offset < cur.end) {
      const cut = cur.end - offset;
      cur.end = offset + text.length;
      return { ...event, data: { ...data, offset: offset + cut, text: text.slice(cut) } };
    }
    cur.end = offset + text.length;
    return event;
  };
}
