import type { SuspendOptions } from '../catalog/types.js';

/** Thrown by `ctx.suspend`; caught by the driver, never seen by users. */
export class SuspendSignal {
  constructor(
    readonly payload: unknown,
    readonly options: SuspendOptions,
  ) {}
}
