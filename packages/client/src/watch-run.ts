import type { Client as WsClient } from 'graphql-ws';
import { type GraphQLErrorPayload, isLlmteamClientError, LlmteamClientError } from './errors.js';
import { RUN_EVENTS } from './operations.js';
import type { WorktrailEvent, WorktrailEventType } from './types.js';

/** Options of `client.watchRun`. */
export interface WatchRunOptions {
  /** Only events with a higher `seq`: what the caller already has. @default 0 */
  afterSeq?: number;
  /**
   * Yield live `step.progress` events (a streaming agent's partial text; `seq` 0, not
   * stored). After a reconnection the first one of a stream is the partial text so far
   * (`data.snapshot`); a `data.reset` one means the text starts over.
   * @default true
   */
  progress?: boolean;
  /** End after `run.completed`, `run.failed` or `run.cancelled`. @default true */
  untilTerminal?: boolean;
  /** Stops the iteration. */
  signal?: AbortSignal;
  /** Reconnection after a dropped socket. */
  retry?: {
    /** Consecutive failed attempts before giving up with NETWORK_ERROR. @default 30 */
    attempts?: number;
    /** @default 100 */
    initialDelayMs?: number;
    /** @default 3000 */
    maxDelayMs?: number;
  };
  /** Called before each reconnection, with the `seq` it resumes after. */
  onReconnect?: (info: { attempt: number; afterSeq: number }) => void;
}

/** Event types after which a run changes no more. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'run.completed',
  'run.failed',
  'run.cancelled',
] satisfies WorktrailEventType[]);

/** Close codes retrying cannot fix (graphql-ws protocol errors and refused auth). */
const FATAL_CLOSE_CODES: Record<number, string> = {
  4400: 'BAD_REQUEST',
  4401: 'UNAUTHENTICATED',
  4403: 'UNAUTHENTICATED',
  4406: 'BAD_REQUEST',
  4409: 'BAD_REQUEST',
  4429: 'BAD_REQUEST',
};

/** The error to end with when retrying cannot help (refused key, GraphQL errors), else undefined. */
export function toFatal(error: unknown): LlmteamClientError | undefined {
  if (isLlmteamClientError(error)) return error;
  if (Array.isArray(error)) return LlmteamClientError.fromGraphQL(error as GraphQLErrorPayload[]);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && FATAL_CLOSE_CODES[code]) {
    const reason = (error as { reason?: string }).reason || 'closed';
    return new LlmteamClientError(
      FATAL_CLOSE_CODES[code],
      `The gateway closed the subscription socket with ${code} (${reason}); check the API key`,
    );
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Follows a run's events over graphql-ws, resuming after the last `seq` seen on every reconnection. */
export async function* watchRun(
  openSocket: () => WsClient,
  runId: string,
  options: WatchRunOptions,
  onDispose: (socket: WsClient) => void,
  isClosed: () => boolean = () => false,
): AsyncGenerator<WorktrailEvent, void, undefined> {
  let lastSeq = options.afterSeq ?? 0;
  const untilTerminal = options.untilTerminal ?? true;
  const attempts = options.retry?.attempts ?? 30;
  const initialDelay = options.retry?.initialDelayMs ?? 100;
  const maxDelay = options.retry?.maxDelayMs ?? 3000;
  let failures = 0;
  let lastError: unknown;
  while (!options.signal?.aborted && !isClosed()) {
    const socket = openSocket();
    // A connection that got through counts as a success, even if no event arrives (a run
    // may wait hours for a person while proxies cut idle sockets).
    const offConnected = socket.on('connected', () => {
      failures = 0;
    });
    const iterator = socket.iterate<{ runEvents: WorktrailEvent }>({
      query: RUN_EVENTS,
      variables: { runId, afterSeq: lastSeq },
    });
    const abort = () => void iterator.return?.();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const result of iterator) {
        if (result.errors?.length)
          throw LlmteamClientError.fromGraphQL(result.errors as GraphQLErrorPayload[]);
        const event = result.data?.runEvents;
        // Live progress (seq 0) is not stored: it passes through and moves no resume point.
        if (event?.seq === 0 && event.type === 'step.progress') {
          if (options.progress !== false) yield event;
          continue;
        }
        // The server never repeats a seq within one subscription; this guards the seam between two.
        if (!event || event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        failures = 0;
        yield event;
        if (untilTerminal && TERMINAL_EVENT_TYPES.has(event.type)) return;
      }
      if (options.signal?.aborted || isClosed()) return;
      lastError = new Error('subscription ended by the gateway');
    } catch (error) {
      if (isClosed()) return;
      const fatal = toFatal(error);
      if (fatal) throw fatal;
      lastError = error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      offConnected();
      await iterator.return?.();
      await socket.dispose();
      onDispose(socket);
    }
    failures += 1;
    if (failures > attempts) {
      const reason =
        (lastError as { reason?: string; message?: string } | undefined)?.reason ||
        (lastError as Error | undefined)?.message ||
        'socket closed';
      throw new LlmteamClientError(
        'NETWORK_ERROR',
        `Lost the event stream of run ${runId} after ${attempts} reconnection attempts: ${reason}`,
        { cause: lastError },
      );
    }
    options.onReconnect?.({ attempt: failures, afterSeq: lastSeq });
    await sleep(Math.min(maxDelay, initialDelay * 2 ** (failures - 1)), options.signal);
  }
}
