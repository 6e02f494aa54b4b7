import type { GatewayContext } from '../context.js';

/**
 * The reads of one GraphQL request over HTTP, each made once however many fields ask for
 * it: fifty requests of one run read that run once; a run's token usage read by `usage`
 * and by `steps` is summed once. It lives only as long as the request, so nothing is
 * served stale to the next one (a graphql-ws socket, which outlives its operations, has
 * none and reads afresh).
 */
export class RequestReads {
  private readonly reads = new Map<string, Promise<unknown>>();

  /** The result of `read` for `key`, read at most once in this request (a failed read is retried). */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let pending = this.reads.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = read();
      this.reads.set(key, pending);
      pending.catch(() => this.reads.delete(key));
    }
    return pending;
  }
}

/** `read()` through the request's {@link RequestReads} when it has one, else read now. */
export function readOnce<T>(ctx: GatewayContext, key: string, read: () => Promise<T>): Promise<T> {
  return ctx.reads ? ctx.reads.once(key, read) : read();
}
