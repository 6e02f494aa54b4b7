/** Shared set-up of the gateway benchmarks (no `run()`: not a benchmark itself). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, MemoryStore, type Store } from '@llmteam/core';
import { createApiKey, createGateway, createLogger, type Gateway } from '@llmteam/gateway';
import { createSqliteStore } from '@llmteam/store-sqlite';

export const ORDER_FLOW = JSON.parse(
  readFileSync(new URL('../examples/segments/order-flow.json', import.meta.url), 'utf8'),
) as unknown;
export const BIG_ORDER = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };

export interface BenchGateway {
  gateway: Gateway;
  store: Store;
  /** Admin + operator + approver of group finance, so one key does everything. */
  key: string;
  close(): Promise<void>;
}

/** A gateway on a free port over SQLite (in a temp dir) or memory, with the order flow registered. */
export async function benchGateway(
  kind: 'sqlite' | 'memory' = 'sqlite',
  options: { maxComplexity?: number } = {},
): Promise<BenchGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-'));
  const store: Store =
    kind === 'sqlite' ? createSqliteStore({ path: join(dir, 'bench.sqlite') }) : new MemoryStore();
  const logger = createLogger({ level: 'silent' });
  const engine = createEngine({ store, logger });
  const gateway = await createGateway({
    engine,
    port: 0,
    host: '127.0.0.1',
    logger,
    ...(options.maxComplexity ? { complexityLimit: { maxComplexity: options.maxComplexity } } : {}),
  });
  await store.putTenant({
    tenantId: 'default',
    name: 'Default',
    tier: 'starter',
    limits: {},
    createdAt: new Date().toISOString(),
  });
  const { secret } = await createApiKey(store, {
    tenantId: 'default',
    roles: ['admin', 'operator', 'approver'],
    subject: 'bench',
    groups: ['finance'],
  });
  await engine.upsertSegment(ORDER_FLOW, { tenantId: 'default' });
  return {
    gateway,
    store,
    key: secret,
    async close() {
      await gateway.stop('bench done');
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
