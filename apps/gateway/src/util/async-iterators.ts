/** A push-based async iterator: the producer pushes, the consumer awaits. */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the iteration after the values already pushed. */
  end(): void;
}

/**
 * Creates a {@link PushIterator}. `onClose` runs once, when the consumer stops (`return`)
 * or the producer ends: the place to unsubscribe.
 */
export function createPushIterator<T>(onClose: () => void = () => {}): PushIterator<T> {
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
      else buffer.push(value);
    },
    end() {
      if (buffer.length === 0) close();
      else done = true;
    },
    next() {
      if (buffer.length > 0) {
        const value = buffer.shift() as T;
        if (done && buffer.length === 0) onClose();
        return Promise.resolve({ value, done: false });
      }
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
