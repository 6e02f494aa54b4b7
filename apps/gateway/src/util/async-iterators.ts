/** A push-based async iterator: the producer pushes, the consumer awaits. */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
}

/** Values a slow consumer may leave unread before its subscription is ended. @default 1000 */
export const MAX_BUFFERED = 1000;

/**
 * Creates a {@link PushIterator}. `onClose` runs once, when the consumer stops (`return`)
 * or the producer ends: the place to unsubscribe.
 */
export function createPushIterator<T>(
  onClose: () => void = () => {},
  maxBuffered = MAX_BUFFERED,
): PushIterator<T> {
  const buffer: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    onClose();
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
  };
  const iterator: PushIterator<T> = {
    push(value) {
      if (done) return;
      const next = waiting.shift();
      if (next) next({ value, done: false });
      else if (buffer.length >= maxBuffered) {
        // A consumer that stopped reading would make the buffer grow without end: drop it.
        buffer.length = 0;
        close();
      } else buffer.push(value);
    },
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      buffer.length = 0;
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Wraps an iterator made from an AbortSignal so that `return()` (a client unsubscribing)
 * aborts it at once, even while a `next()` is pending, instead of waiting for its next value.
 */
export function abortableIterator<T, U>(
  make: (signal: AbortSignal) => AsyncIterator<T>,
  map: (value: T) => U | Promise<U>,
): AsyncIterableIterator<U> {
  const controller = new AbortController();
  const inner = make(controller.signal);
  const finish = async (): Promise<IteratorResult<U>> => {
    controller.abort();
    await inner.return?.();
    return { value: undefined, done: true };
  };
  // One listener for the iterator's life, not one per `next()`.
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve({ value: undefined, done: true }), {
      once: true,
    });
  });
  let closed = false;
  const iterator: AsyncIterableIterator<U> = {
    async next() {
      if (closed) return { value: undefined, done: true };
      const result = await Promise.race([inner.next(), aborted]);
      if (result.done) {
        closed = true;
        return { value: undefined, done: true };
      }
      return { value: await map(result.value), done: false };
    },
    async return() {
      closed = true;
      return finish();
    },
    async throw(error?: unknown) {
      closed = true;
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
