import { Redis } from 'ioredis';

/** The local test Redis; tests skip when it is unreachable (and fail on CI). */
export const TEST_REDIS_URL = process.env.LLMTEAM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisReachable(): Promise<boolean> {
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    redis.disconnect();
    return true;
  } catch (error) {
    redis.disconnect();
    if (process.env.CI === 'true') throw error;
    console.warn(`skipping Redis tests: ${TEST_REDIS_URL} is unreachable (${(error as Error).message})`);
    return false;
  }
}

/** Deletes every key under a test's prefix. */
export async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export function uniquePrefix(): string {
  return `llmteam-test:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}
