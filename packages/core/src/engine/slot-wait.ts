import type { InFlight } from './step-execution.js';
import type { StepSlot, StepSlots } from './step-slots.js';

/** What a launched step does once its turn for a slot comes, or if it never does. */
export interface SlotWaitHooks {
  /** Starts the handler in `slot`; `paused` when a pause of the run was asked for meanwhile. */
  start(slot: StepSlot, paused: boolean): void;
  /** False when the step should no longer start here (engine stopping, run lost, step replaced). */
  wanted(): boolean;
  /** The slot came but the step is not wanted: it never starts here. */
  abandon(): void;
  /** Aborted while waiting (cancelled, restored): reported like an aborted handler. */
  abort(reason: unknown): void;
}

/** A launched step until its handler starts: the in-flight handle, and `take` to ask for a slot. */
export interface SlotWait extends InFlight {
  /** Takes a slot: starts the handler now, or once one is its turn. */
  take(): void;
}

/**
 * A step's wait for a slot of the engine's {@link StepSlots}. A step whose slot comes after
 * the engine began to stop, or after its run went to another worker, stays running in the
 * store and runs again (same attempt) wherever the run goes next.
 */
export function waitForSlot(
  slots: StepSlots,
  tenantId: string,
  attempt: number,
  hooks: SlotWaitHooks,
): SlotWait {
  let paused = false;
  const slot: StepSlot = {
    tenantId,
    state: 'waiting',
    granted: () => {
      if (hooks.wanted()) return hooks.start(slot, paused);
      slots.release(slot);
      hooks.abandon();
    },
  };
  return {
    attempt,
    abort(reason) {
      if (slots.release(slot)) hooks.abort(reason);
    },
    pause(requested) {
      paused = requested;
    },
    take() {
      if (slots.take(slot)) hooks.start(slot, false);
    },
  };
}
