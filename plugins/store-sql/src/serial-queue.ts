/**
 * Runs async tasks one after another. SQLite has one connection per store: a transaction
 * must not interleave with another task's statements, and a read must not see a
 * transaction that may still roll back, so every database task goes through one queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The queue continues whatever the task's outcome; the caller sees the outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
