/** The tenant's `action_calls_per_minute`: counted from the stored calls of every engine sharing the store. */
import { decodeEventCursor, encodeEventCursor, queryEvents } from '../store/event-query.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { type EffectiveTenancy, LimitExceededError } from './tenant-limits.js';

/** The window `action_calls_per_minute` counts over, in ms. */
export const ACTION_CALL_WINDOW_MS = 60_000;

/**
 * Each check reads only the stored calls after the last one it read. Every
 * `RESETTLE_EVERY_MS` it reads the last `RESETTLE_MS` again instead: a call's events are
 * stamped when its step's commit is built, so another engine's commit may land after
 * newer ones were read; such a call is counted within seconds.
 */
const RESETTLE_MS = 10_000;
const RESETTLE_EVERY_MS = 5_000;

/** One call counted: its action and idempotency key (a call sent again with the same key counts once) and when. */
export interface CountedActionCall {
  key: string;
  /** When it was recorded (ms since the epoch, engine clock). */
  at: number;
}

// A call refused for a tenant limit never left, so it takes no place in the window.
const NOT_SENT = 'LLMT_E_LIMIT_EXCEEDED';

const callKey = (action: string, idempotencyKey: string) => `${action}\u0000${idempotencyKey}`;

/**
 * The tenant's action calls (named actions of steps and agent tools) recorded after `from`
 * (ms), from the stored `action.completed` and `action.failed` events.
 * Calls refused for a tenant limit are left out: they were never sent.
 * @param from @default a minute before `now`: the calls `action_calls_per_minute` counts
 */
export async function storedActionCalls(
  store: Store,
  tenantId: string,
  now: number,
  from = now - ACTION_CALL_WINDOW_MS,
): Promise<CountedActionCall[]> {
  return (await readActionCalls(store, tenantId, from)).calls;
}

/**
 * The calls recorded after `from` (ms), read after `after` (a cursor) when given, and the
 * cursor of the last event read. A call stamped ahead of this engine's clock (another
 * engine's) counts too: it was made.
 */
async function readActionCalls(
  store: Store,
  tenantId: string,
  from: number,
  after?: string,
): Promise<{ calls: CountedActionCall[]; cursor?: string }> {
  const calls = new Map<string, number>();
  let cursor = after;
  // The range starts at the cursor's time, so a read after it scans only the rows after it.
  const start = after ? Math.max(from, Date.parse(decodeEventCursor(after).timestamp)) : from;
  for (;;) {
    const page = await queryEvents(store, tenantId, {
      types: ['action.completed', 'action.failed'],
      from: new Date(start).toISOString(),
      limit: 1000,
      ...(cursor ? { after: cursor } : {}),
    });
    for (const event of page.items) {
      const at = Date.parse(event.timestamp);
      const data = event.data as { action?: unknown; idempotency_key?: unknown; error_type?: unknown };
      if (!(at > from) || data.error_type === NOT_SENT) continue;
      const key = callKey(String(data.action), String(data.idempotency_key));
      if (!calls.has(key)) calls.set(key, at);
    }
    const last = page.items[page.items.length - 1];
    if (last) cursor = encodeEventCursor(last);
    if (!page.nextCursor) break;
  }
  return { calls: [...calls].map(([key, at]) => ({ key, at })), ...(cursor ? { cursor } : {}) };
}

/** What a meter knows of one tenant's window. */
interface TenantWindow {
  /** Stored calls read so far, by key: when each was recorded. */
  stored: Map<string, number>;
  /** The stored calls are read up to this time (ms, engine clock). */
  readTo: number;
  /** Where the last read ended; the next reads only what comes after. */
  cursor?: string;
  /** When the recent calls were last read again in full (ms, engine clock). */
  resettledAt: number;
  /** Calls this engine let through, by key: when (they may not be stored yet). */
  sent: Map<string, number>;
}

/**
 * Holds a tenant's action calls to its `action_calls_per_minute` (engine clock), before
 * each call is sent. It counts the stored calls of the last minute (every engine sharing
 * the store; a restart forgets none) together with the calls this engine let through that
 * are not stored yet (a step's calls are committed with its result), so the calls of one
 * engine never pass the limit, even made at once; calls in flight on other engines at the
 * same moment may pass it by what is in flight. Each check reads only the stored calls
 * after the last one it read, and every few seconds the last ten seconds again.
 */
export class ActionCallMeter {
  private readonly windows = new Map<string, TenantWindow>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limitsOf: (tenantId: string) => Promise<EffectiveTenancy>,
  ) {}

  /**
   * Takes a place for one call in the tenant's window, or refuses it. A call sent again
   * with a key already counted (a crashed call sent again) takes no second place.
   * @throws LimitExceededError `LLMT_E_LIMIT_EXCEEDED` (retryable) naming the limit, its
   * value and the tier, with `details.retry_after_ms`: when the window has room again.
   */
  async admit(tenantId: string, action: string, idempotencyKey: string): Promise<void> {
    const { limits, tier } = await this.limitsOf(tenantId);
    const max = limits.action_calls_per_minute;
    if (max === undefined) return;
    const now = this.clock.now();
    const since = now - ACTION_CALL_WINDOW_MS;
    let window = this.windows.get(tenantId);
    let read: Promise<{ calls: CountedActionCall[]; cursor?: string }>;
    // First use, a window gone stale, or a clock set back: read the whole minute again.
    if (!window || window.readTo < since || window.readTo > now) {
      window = { stored: new Map(), readTo: now, resettledAt: now, sent: window?.sent ?? new Map() };
      this.windows.set(tenantId, window);
      read = readActionCalls(this.store, tenantId, since);
    } else if (now - window.resettledAt >= RESETTLE_EVERY_MS) {
      window.resettledAt = now;
      read = readActionCalls(this.store, tenantId, Math.max(since, window.readTo - RESETTLE_MS));
    } else read = readActionCalls(this.store, tenantId, since, window.cursor);
    const fresh = await read;
    // From here on nothing awaits: two calls of this engine never both take the last place.
    for (const c of fresh.calls) window.stored.set(c.key, c.at);
    // A read that ends before another one did only makes the next read repeat a few calls.
    if (fresh.cursor) window.cursor = fresh.cursor;
    window.readTo = Math.max(window.readTo, now);
    const counted = new Map<string, number>();
    for (const calls of [window.stored, window.sent])
      for (const [key, at] of calls) {
        if (at <= since) calls.delete(key);
        else counted.set(key, Math.min(at, counted.get(key) ?? at));
      }
    const key = callKey(action, idempotencyKey);
    if (counted.has(key)) return;
    if (counted.size < max) {
      window.sent.set(key, now);
      return;
    }
    const times = [...counted.values()].sort((x, y) => x - y);
    // The window has room once all but max - 1 of the counted calls have left it.
    const leaves = times[counted.size - max] ?? now;
    const retryAfterMs = Math.max(1, leaves + ACTION_CALL_WINDOW_MS - now);
    throw new LimitExceededError(
      { tenantId, limit: 'action_calls_per_minute', value: max, tier, used: counted.size },
      `action "${action}" was not called; the minute has room again in ${Math.ceil(retryAfterMs / 1000)} s (a step retries then if its retry policy allows another attempt); raise the limit with a per-tenant override (\`llmteam tenants update ${tenantId} --limit action_calls_per_minute=N\`) or a higher tier`,
      { retryAfterMs },
    );
  }
}
