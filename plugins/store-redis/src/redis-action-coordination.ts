import type { ActionCoordination, ActionLimiterSpec, ActionRateLimiter } from '@llmteam/core';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

/** Options of {@link createRedisActionCoordination}. */
export interface RedisActionCoordinationOptions {
  /** A connected ioredis client (not closed by `close`); or give `url`. */
  redis?: Redis;
  /** Redis URL, used when no client is given. @default "redis://127.0.0.1:6379" */
  url?: string;
  /** Prefix of every key. @default "llmteam:" */
  keyPrefix?: string;
}

/** Cluster-wide action limits, with `close()` for the connection it opened. */
export interface RedisActionCoordination extends ActionCoordination {
  close(): Promise<void>;
}

/**
 * Action rate limits and circuit-breaker state on Redis, shared by every engine that uses
 * the same Redis: a token bucket holds across nodes, and a breaker that opens on one node
 * makes the others fail fast too until `open_timeout` has passed.
 */
export function createRedisActionCoordination(
  options: RedisActionCoordinationOptions = {},
): RedisActionCoordination {
  const owned = !options.redis;
  const redis =
    options.redis ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  if (owned) redis.on('error', () => undefined);
  const prefix = options.keyPrefix ?? 'llmteam:';
  return {
    createLimiter(spec: ActionLimiterSpec): ActionRateLimiter {
      return new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}${spec.keyPrefix}`,
        points: spec.points,
        duration: spec.duration,
      });
    },
    async openUntil(key) {
      return Number((await redis.get(`${prefix}${key}`)) ?? 0);
    },
    async markOpen(key, until) {
      await redis.set(`${prefix}${key}`, String(until), 'PX', Math.max(1, until - Date.now()));
    },
    async markClosed(key) {
      await redis.del(`${prefix}${key}`);
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}
