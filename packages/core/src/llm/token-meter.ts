import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { tenantTokenUsage } from './token-usage.js';

/**
 * How far behind the clock (ms) stored model calls count as settled: a commit lands within
 * this time of its events' timestamps, so calls older than it are summed once and never
 * read again, and only the newer tail is read on each check.
 */
const SETTLE_MS = 60_000;

interface Settled {
  from: string;
  /** Calls before this time are in `tokens`. */
  until: string;
  tokens: number;
}

/**
 * A tenant's tokens (input plus output) since the start of a period, read from the stored
 * `model.call.completed` events, so every engine sharing the store counts the same calls
 * and a restart loses nothing. Each check reads only the calls of the last minute again;
 * older ones are summed once per engine and period.
 */
export class TokenMeter {
  /** By tenant and period name; a new period replaces the old one's sum. */
  private readonly settled = new Map<string, Settled>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Tokens the tenant's model calls used since `from` (ISO 8601), `period` naming the window. */
  async used(tenantId: string, period: string, from: string): Promise<number> {
    const key = `${tenantId}\u0000${period}`;
    const settleTo = new Date(Math.max(Date.parse(from), this.clock.now() - SETTLE_MS)).toISOString();
    let sum = this.settled.get(key);
    // A new period, or a clock set back before what was summed, starts over.
    if (!sum || sum.from !== from || sum.until > settleTo) {
      sum = { from, until: from, tokens: 0 };
      this.settled.set(key, sum);
    }
    if (settleTo > sum.until) {
      // `to` is inclusive: up to the millisecond before the new mark, which the tail reads.
      const start = sum.until;
      const to = new Date(Date.parse(settleTo) - 1).toISOString();
      const older = await tenantTokenUsage(this.store, tenantId, { from: start, to });
      // Another check settled meanwhile: its sum stands, this read is dropped.
      if (this.settled.get(key) === sum && sum.until === start) {
        sum.tokens += older.inputTokens + older.outputTokens;
        sum.until = settleTo;
      }
    }
    const { tokens, until } = sum;
    const tail = await tenantTokenUsage(this.store, tenantId, { from: until });
    return tokens + tail.inputTokens + tail.outputTokens;
  }
}
