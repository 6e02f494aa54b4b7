import type { Store, WorktrailEvent } from '../store/types.js';
import { isLiveProgress, type LiveProgress, progressCursor } from './live-progress.js';

type Listener = (event: WorktrailEvent) => void;

/**
 * Fans the store's committed events out to the engine's listeners, and follows one run's
 * log: stored events first, then live ones, with no gap and no duplicate (a gap in the live
 * feed is filled from the store).
 */
export class EventStream {
  private readonly listeners = new Set<Listener>();
  private unsubscribe?: () => void;

  constructor(
    private readonly store: Store,
    /** Live progress of this process's steps, merged into `follow` when asked for. */
    readonly progress?: LiveProgress,
  ) {}

  onEvent(listener: Listener): () => void {
    if (!this.unsubscribe) {
      this.unsubscribe = this.store.subscribe((events) => {
        for (const e of events) {
          for (const l of this.listeners) {
            try {
              l(e);
            } catch {
              // One listener's failure must not starve the others.
            }
          }
        }
      });
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops delivering, and ends every `follow` iterator so no consumer waits forever. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.listeners.clear();
    for (const finish of [...this.followers]) finish();
  }

  private readonly followers = new Set<() => void>();

  follow(
    tenantId: string,
    runId: string,
    afterSeq: number,
    signal?: AbortSignal,
    withProgress = false,
  ): AsyncIterableIterator<WorktrailEvent> {
    const buffer: WorktrailEvent[] = [];
    const fresh = progressCursor();
    let last = afterSeq;
    let replayed = false;
    let done = false;
    let waiter: (() => void) | undefined;
    const wake = () => {
      const w = waiter;
      waiter = undefined;
      w?.();
    };
    const off = this.onEvent((e) => {
      if (e.run_id === runId && e.tenant_id === tenantId) {
        buffer.push(e);
        wake();
      }
    });
    const offProgress =
      withProgress && this.progress
        ? this.progress.onProgress((e) => {
            if (e.run_id === runId && e.tenant_id === tenantId) {
              buffer.push(e);
              wake();
            }
          })
        : () => {};
    const finish = () => {
      if (done) return;
      done = true;
      this.followers.delete(finish);
      off();
      offProgress();
      signal?.removeEventListener('abort', finish);
      wake();
    };
    this.followers.add(finish);
    signal?.addEventListener('abort', finish, { once: true });
    if (signal?.aborted) finish();
    let backlog: WorktrailEvent[] = [];

    const next = async (): Promise<IteratorResult<WorktrailEvent>> => {
      for (;;) {
        if (done) return { value: undefined, done: true };
        if (backlog.length) {
          const e = backlog.shift()!;
          if (isLiveProgress(e)) {
            const out = fresh(e);
            if (out) return { value: out, done: false };
            continue;
          }
          if (e.seq <= last) continue;
          last = e.seq;
          return { value: e, done: false };
        }
        if (!replayed) {
          replayed = true;
          backlog = await this.store.listEvents(tenantId, runId, { afterSeq: last });
          // Then the partial output of steps streaming right now, before the live pieces.
          if (withProgress && this.progress) backlog.push(...this.progress.snapshot(tenantId, runId));
          continue;
        }
        const e = buffer.shift();
        if (!e) {
          await new Promise<void>((resolve) => {
            waiter = () => resolve();
          });
          continue;
        }
        if (isLiveProgress(e)) {
          const out = fresh(e);
          if (out) return { value: out, done: false };
          continue;
        }
        if (e.seq <= last) continue;
        if (e.seq > last + 1) {
          // Missed some (e.g. delivered before we subscribed): read them from the store.
          backlog = await this.store.listEvents(tenantId, runId, { afterSeq: last });
          buffer.unshift(e);
          // Not readable yet (a replica behind, a commit not visible): wait, do not spin.
          if (backlog.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        last = e.seq;
        return { value: e, done: false };
      }
    };
    const iterator: AsyncIterableIterator<WorktrailEvent> = {
      next,
      async return() {
        finish();
        return { value: undefined, done: true };
      },
      async throw(error) {
        finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
