import { DEFAULT_TENANT, type Engine } from '../engine/types.js';
import { LlmteamError } from '../errors.js';
import type { InteractionRecord } from '../store/types.js';
import { CLOSED_INTERACTION_STATUSES } from '../store/types.js';
import type { WorktrailEventType } from '../worktrail/event-types.js';

const CLOSED = CLOSED_INTERACTION_STATUSES;
/** Events after which a request may have closed. */
const CLOSING_EVENTS = [
  'interaction.responded',
  'interaction.timed_out',
  'run.cancelled',
  'run.failed',
  'snapshot.restored',
] satisfies WorktrailEventType[];

/** Options of {@link waitForResponse}. */
export interface WaitForResponseOptions {
  /** Tenant of the request. @default "default" */
  tenantId?: string;
  /**
   * Milliseconds to wait (on the engine's clock) before rejecting with `LLMT_E_TIMEOUT`.
   * @default undefined (waits until the request closes)
   */
  timeout?: number;
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Resolves with the request once it is closed (answered, rejected, timed out or
 * cancelled), for code that wants to await a person. Built on the engine's event stream:
 * it holds one listener while it waits, and reads the request from the store when an
 * event says it may have closed, so a request closed before the call resolves at once.
 *
 * @throws LlmteamError `LLMT_E_INTERACTION_NOT_FOUND` when no such request exists,
 *   `LLMT_E_TIMEOUT` when `timeout` passes first.
 */
export function waitForResponse(
  engine: Engine,
  requestId: string,
  options: WaitForResponseOptions = {},
): Promise<InteractionRecord> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT;
  return new Promise<InteractionRecord>((resolve, reject) => {
    let done = false;
    let runId: string | undefined;
    let timer: unknown;
    const finish = (error: unknown, record?: InteractionRecord) => {
      if (done) return;
      done = true;
      off();
      if (timer !== undefined) engine.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(record!);
    };
    const check = async () => {
      try {
        const record = await engine.store.getInteraction(tenantId, requestId);
        if (!record) {
          finish(
            new LlmteamError(
              'LLMT_E_INTERACTION_NOT_FOUND',
              `interaction "${requestId}" does not exist in tenant "${tenantId}"`,
            ),
          );
          return;
        }
        runId = record.runId;
        if (CLOSED.has(record.status)) finish(undefined, record);
      } catch (error) {
        finish(error);
      }
    };
    // Subscribed before the first read: a close between the two is seen by one of them.
    const off = engine.onEvent(
      (event) => {
        if (
          event.data.interaction_id === requestId ||
          (runId !== undefined && event.run_id === runId && event.type.startsWith('run.'))
        )
          void check();
        else if (event.type === 'snapshot.restored' && event.run_id === runId) void check();
      },
      { tenantId, types: CLOSING_EVENTS },
    );
    const onAbort = () =>
      finish(
        options.signal!.reason ?? new LlmteamError('LLMT_E_TIMEOUT', 'waiting for the response was aborted'),
      );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeout !== undefined) {
      timer = engine.clock.setTimeout(
        () =>
          finish(
            new LlmteamError(
              'LLMT_E_TIMEOUT',
              `interaction "${requestId}" was not answered within ${options.timeout} ms; it is still open`,
            ),
          ),
        options.timeout,
      );
    }
    void check();
  });
}
