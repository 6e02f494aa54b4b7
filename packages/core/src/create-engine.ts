import { DurableEngine } from './engine/engine.js';
import type { Engine, EngineOptions } from './engine/types.js';
import { InteractionDesk } from './human/interaction-desk.js';

/**
 * Creates the durable engine: runs segments on `store`, one atomic commit per transition,
 * with core's interaction desk behind `ctx.requestApproval` and `engine.respond`.
 * Call `start()` to recover orphaned runs and fire durable timers.
 */
export function createEngine(options: EngineOptions): Engine {
  return new DurableEngine(options, (host) => new InteractionDesk(host));
}
