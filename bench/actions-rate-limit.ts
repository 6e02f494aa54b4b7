/**
 * Rate-limit accuracy: 200 concurrent calls of a function action limited to 40 calls per
 * second (bucket of 40), each waiting for its token. After the first bucket, calls should
 * complete at the configured rate: `measuredPerSecond` = (calls - burst) / (last - first
 * completion). Measured in memory and, when Redis answers, shared by two engines on Redis.
 * Target: `errorPercent` within 5.
 */
import { type ActionCoordination, ActionRegistry } from '@llmteam/core';

const RATE = 40;
const CALLS = 200;

async function measure(registries: ActionRegistry[]): Promise<Record<string, number>> {
  const done: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      registries[i % registries.length]!.execute(
        'limited',
        {},
        { tenantId: 'default', idempotencyKey: `k${i}` },
      ).then(() => done.push(performance.now() - start)),
    ),
  );
  done.sort((a, b) => a - b);
  const measured = ((CALLS - RATE) / (done.at(-1)! - done[0]!)) * 1000;
  return {
    configuredPerSecond: RATE,
    measuredPerSecond: Math.round(measured * 10) / 10,
    errorPercent: Math.round((Math.abs(measured - RATE) / RATE) * 1000) / 10,
  };
}

function registry(coordination?: ActionCoordination): ActionRegistry {
  const r = new ActionRegistry({ secrets: { get: async () => undefined }, coordination });
  r.defineFunction('limited', () => 1, {
    rate_limit: { requests_per_second: RATE, burst_size: RATE, max_wait: 'PT60S' },
  });
  return r;
}

/** Runs the benchmark. */
export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { calls: CALLS, target: 'errorPercent <= 5' };
  out.memory = await measure([registry()]);
  try {
    const { createRedisActionCoordination } = await import('@llmteam/store-redis');
    const keyPrefix = `llmteam-bench:${process.pid}:`;
    const a = createRedisActionCoordination({ url: process.env.LLMTEAM_BENCH_REDIS_URL, keyPrefix });
    const b = createRedisActionCoordination({ url: process.env.LLMTEAM_BENCH_REDIS_URL, keyPrefix });
    try {
      out.redisTwoEngines = await measure([registry(a), registry(b)]);
    } finally {
      await a.close();
      await b.close();
    }
  } catch (error) {
    out.redisTwoEngines = { skipped: (error as Error).message };
  }
  return out;
}
