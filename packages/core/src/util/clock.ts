/** Time as the engine sees it. Inject a {@link ManualClock} in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Longest delay Node's `setTimeout` honours; a longer one would fire at once. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** The process clock. Delays longer than ~24.8 days are chained, not fired early. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle: { timer?: NodeJS.Timeout } = {};
    const arm = (left: number) => {
      handle.timer =
        left > MAX_TIMER_DELAY
          ? setTimeout(() => arm(left - MAX_TIMER_DELAY), MAX_TIMER_DELAY)
          : setTimeout(fn, left);
      handle.timer.unref?.();
    };
    arm(Math.max(0, ms));
    return handle;
  },
  clearTimeout: (h) => clearTimeout((h as { timer?: NodeJS.Timeout } | undefined)?.timer),
};

/** A clock that only moves when told to; timers fire during {@link ManualClock.advance}. */
export class ManualClock implements Clock {
  private current: number;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  constructor(start: number | string | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.current = Math.max(this.current, next[1].at);
      next[1].fn();
    }
    this.current = target;
  }
}
