import { createEngine, type Engine, MemoryStore } from '@llmteam/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createRedisActionCoordination, type RedisActionCoordination } from './redis-action-coordination.js';
import { dropKeys, redisReachable, TEST_REDIS_URL, uniquePrefix } from './test-services.js';

const reachable = await redisReachable();

describe.skipIf(!reachable)('action limits shared on Redis', () => {
  const prefix = uniquePrefix();
  const opened: Array<{ engine: Engine; coordination: RedisActionCoordination }> = [];
  afterEach(async () => {
    for (const { engine, coordination } of opened.splice(0)) {
      await engine.stop();
      await coordination.close();
    }
  });
  afterAll(() => dropKeys(prefix));

  function node(actionPrefix: string, fn: () => unknown, config: Record<string, unknown>) {
    const coordination = createRedisActionCoordination({
      url: TEST_REDIS_URL,
      keyPrefix: `${prefix}${actionPrefix}:`,
    });
    const engine = createEngine({ store: new MemoryStore(), actionCoordination: coordination });
    engine.actions.defineFunction('erp', fn, config);
    opened.push({ engine, coordination });
    return engine;
  }

  test('a rate limit holds under 200 concurrent calls across two engines', async () => {
    let calls = 0;
    const config = { rate_limit: { requests_per_minute: 50, burst_size: 50, max_wait: 0 } };
    const a = node('rl', () => ++calls, config);
    const b = node('rl', () => ++calls, config);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).actions.execute('erp', {}, { tenantId: 'default', idempotencyKey: `k${i}` }),
      ),
    );
    const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(admitted).toBe(50);
    expect(calls).toBe(50);
    const refused = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(new Set(refused.map((r) => r.reason.code))).toEqual(new Set(['LLMT_E_RATE_LIMITED']));
  });

  test('a breaker that opens on one engine makes the other fail fast', async () => {
    let calls = 0;
    const config = { circuit_breaker: { failure_threshold: 2, open_timeout: 'PT30S' } };
    const fail = () => {
      calls++;
      throw new Error('503 from the ERP');
    };
    const a = node('cb', fail, config);
    const b = node('cb', fail, config);
    const call = { tenantId: 'default', idempotencyKey: 'k' };
    for (let i = 0; i < 2; i++) await a.actions.execute('erp', {}, call).catch(() => undefined);
    expect(a.actions.list()[0]!.circuit_state).toBe('open');
    // Give the fire-and-forget markOpen a moment to reach Redis.
    const redis = new Redis(TEST_REDIS_URL);
    for (let i = 0; i < 1000 && !(await redis.get(`${prefix}cb:llmt_action_cb:erp`)); i++)
      await new Promise((r) => setTimeout(r, 10));
    redis.disconnect();
    const error = await b.actions.execute('erp', {}, call).catch((e) => e);
    expect(error.code).toBe('LLMT_E_CIRCUIT_OPEN');
    expect(calls).toBe(2);
  });

  test('Redis being down is a retryable typed error, not a silent pass', async () => {
    const coordination = createRedisActionCoordination({ url: 'redis://127.0.0.1:1', keyPrefix: prefix });
    const engine = createEngine({ store: new MemoryStore(), actionCoordination: coordination });
    opened.push({ engine, coordination });
    engine.actions.defineFunction('erp', () => 1, { rate_limit: { requests_per_second: 5 } });
    const error = await engine.actions
      .execute('erp', {}, { tenantId: 'default', idempotencyKey: 'k' })
      .catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });
});
