import type { SuspendOptions } from '../catalog/types.js';

/** Thrown by `ctx.suspend`; caught by the driver, never seen by users. */
export class SuspendSignal {
  constructor(
    readonly payload: unknown,
    readonly options: SuspendOptions,
  ) {}
}

/** Thrown by `ctx.interrupt`; caught by the driver, never seen by users. */
export class InterruptSignal {
  constructor(
    /** The progress to keep as the step's checkpoint; absent: the last saved one. */
    readonly progress: { state: unknown } | undefined,
  ) {}
}
