import type { Client as WsClient } from 'graphql-ws';
import { type GraphQLErrorPayload, LlmteamClientError } from './errors.js';
import { INTERACTION_REQUESTED } from './operations.js';
import type { Interaction } from './types.js';
import { toFatal } from './watch-run.js';

/** Options of `client.watchInteractions`. */
export interface WatchInteractionsOptions {
  /** Stops the iteration. */
  signal?: AbortSignal;
  /** Called once the subscription is active (first time and after each reconnection). */
  onConnected?: () => void;
  /** Called before each reconnection: requests may have arrived while the socket was down. */
  onReconnect?: (info: { attempt: number }) => void;
  /** Delay between reconnection attempts, doubling up to `maxDelayMs`. @default 200 */
  initialDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
}

/** Follows `interactionRequested` over graphql-ws, reconnecting after a dropped socket. */
export async function* watchInteractions(
  openSocket: () => WsClient,
  options: WatchInteractionsOptions,
  onDispose: (socket: WsClient) => void,
  isClosed: () => boolean,
): AsyncGenerator<Interaction, void, undefined> {
  const initialDelay = options.initialDelayMs ?? 200;
  const maxDelay = options.maxDelayMs ?? 5000;
  let attempt = 0;
  while (!options.signal?.aborted && !isClosed()) {
    const socket = openSocket();
    const offConnected = socket.on('connected', () => {
      attempt = 0;
      options.onConnected?.();
    });
    const iterator = socket.iterate<{ interactionRequested: Interaction }>({ query: INTERACTION_REQUESTED });
    const abort = () => void iterator.return?.();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const result of iterator) {
        if (result.errors?.length)
          throw LlmteamClientError.fromGraphQL(result.errors as GraphQLErrorPayload[]);
        if (result.data?.interactionRequested) yield result.data.interactionRequested;
      }
      if (options.signal?.aborted || isClosed()) return;
    } catch (error) {
      if (isClosed() || options.signal?.aborted) return;
      const fatal = toFatal(error);
      if (fatal) throw fatal;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      offConnected();
      await iterator.return?.();
      await socket.dispose();
      onDispose(socket);
    }
    attempt += 1;
    options.onReconnect?.({ attempt });
    const delay = Math.min(maxDelay, initialDelay * 2 ** (attempt - 1));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
