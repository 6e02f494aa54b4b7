import type { WorktrailEventType } from '@llmteam/core/types';
import type { WorktrailEvent } from './types.js';

/**
 * True when `event` has one of `types`; narrows its `data` to the registered shape.
 *
 * @example
 * for await (const e of client.watchRun(runId))
 *   if (isWorktrailEventOf(e, 'step.completed')) console.log(e.stepId, e.data.ports);
 */
export function isWorktrailEventOf<K extends WorktrailEventType>(
  event: WorktrailEvent,
  ...types: K[]
): event is WorktrailEvent<K> {
  return (types as string[]).includes(event.type);
}
