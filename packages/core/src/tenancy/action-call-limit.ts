/** The tenant's `action_calls_per_minute`: counted from the stored calls of every engine sharing the store. */
import { queryEvents } from '../store/event-query.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { type EffectiveTenancy, LimitExceededError } from './tenant-limits.js';

/** The window `action_calls_per_minute` counts over, in ms. */
export const ACTION_CALL_WINDOW_MS = 60_000;

/**
 * How far back (ms) before its last read a meter reads the stored calls again: a call's
 * events are stamped when its step's commit is built and land within this time, so one
 * stored late by another engine is still counted.
 */
const RESETTLE_MS = 10_000;

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
 * and up to `now` (ms), from the stored `action.completed` and `action.failed` events.
 * Calls refused for a tenant limit are left out: they were never sent.
 * @param from @default a minute before `now`: the calls `action_calls_per_minute` counts
 */
export async function storedActionCalls(
  store: Store,
  tenantId: string,
  now: number,
  from = now - ACTION_CALL_WINDOW_MS,
): Promise<CountedActionCall[]> {
  const calls = new Map<string, number>();
  let after: string | undefined;
  for (;;) {
    const page = await queryEvents(store, tenantId, {
      types: ['action.completed', 'action.failed'],
      from: new Date(from).toISOString(),
      limit: 1000,
      ...(after ? { after } : {}),
    });
    for (const event of page.items) {
      const at = Date.parse(event.timestamp);
      const data = event.data as { action?: unknown; idempotency_key?: unknown; error_type?: unknown };
      if (!(at > from && at <= now) || data.error_type === NOT_SENT) continue;
      const key = callKey(String(data.action), String(data.idempotency_key));
      if (!calls.has(key)) calls.set(key, at);
    }
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return [...calls].map(([key, at]) => ({ key, at }));
}

/** What a meter knows of one tenant's window. */
interface TenantWindow {
  /** Stored calls read so far, by key: when each was recorded. */
  stored: Map<string, number>;
  /** The stored calls are read up to this time (ms, engine clock). */
  readTo: number;
  /** Calls this engine let through, by key: when (they may not be stored yet). */
  sent: Map<string, number>;
}

/**
 * Holds a tenant's action calls to its `action_calls_per_minute` (engine clock), before
 * each call is sent. It counts the stored calls of the last minute (every engine sharing
 * the store; a restart forgets none) together with the calls this engine let through that
 * are not stored yet (a step's calls are committed with its result), so the calls of one
 * engine never pass the limit, even made at once; calls in flight on other engines at the
 * same moment may pass it by what is in flight. Each check reads only the stored calls of
 * the last few seconds again, not the whole minute.
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
    // First use, a window gone stale, or a clock set back: read the whole minute again.
    if (!window || window.readTo < since || window.readTo > now) {
      window = { stored: new Map(), readTo: since, sent: window?.sent ?? new Map() };
      this.windows.set(tenantId, window);
    }
    const from = Math.max(since, window.readTo - RESETTLE_MS);
    const fresh = await storedActionCalls(this.store, tenantId, now, from);
    // From here on nothing awaits: two calls of this engine never both take the last place.
    for (const c of fresh) window.stored.set(c.key, c.at);
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
