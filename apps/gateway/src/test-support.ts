// Helpers shared by the gateway's tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine, MemoryStore, type Role, type Store } from '@llmteam/core';
import { createApiKey, ensureTenant } from './auth/api-keys.js';
import { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js';
import { createLogger } from './logger.js';

export const ORDER_FLOW = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../examples/segments/order-flow.json', import.meta.url)), 'utf8'),
) as Record<string, unknown>;

export interface TestGateway {
  gateway: Gateway;
  engine: Engine;
  store: Store;
  /** Creates a key in a tenant (created when missing) and returns its secret. */
  key(tenantId: string, roles: Role[], subject?: string, groups?: string[]): Promise<string>;
  /** POSTs a GraphQL operation; returns status and body. */
  gql(
    secret: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
  /** How many event listeners the engine has registered so far: each subscription adds one. */
  listeners(): number;
  /**
   * Resolves once the engine registered `count` (default 1) event listeners after `before`,
   * i.e. the server set up the subscriptions the caller just sent (graphql-ws acknowledges none).
   */
  listening(before: number, count?: number): Promise<void>;
}

const registrations = new WeakMap<Engine, { count: number }>();

/** Event listeners an engine registered since the first call (internal: tests only). */
export function listenerRegistrations(engine: Engine): number {
  let counter = registrations.get(engine);
  if (!counter) {
    const tally = { count: 0 };
    counter = tally;
    const set = (engine as unknown as { stream: { listeners: Set<unknown> } }).stream.listeners;
    const add = set.add.bind(set);
    set.add = (value: unknown) => {
      tally.count++;
      return add(value);
    };
    registrations.set(engine, tally);
  }
  return counter.count;
}

/**
 * Resolves with the first defined value `probe` returns. Real time bounds only the failure
 * (generous, so load never fails a correct run); it never decides a pass.
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A gateway on a free port over a MemoryStore (or the given store). */
export async function startTestGateway(
  options: Partial<GatewayOptions> & { store?: Store } = {},
): Promise<TestGateway> {
  const store = options.store ?? new MemoryStore();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const engine = options.engine ?? createEngine({ store, logger, pollIntervalMs: 50 });
  const gateway = await createGateway({ host: '127.0.0.1', port: 0, logger, ...options, engine });
  return {
    gateway,
    engine,
    store,
    async key(tenantId, roles, subject, groups) {
      await ensureTenant(store, tenantId, tenantId);
      const { secret } = await createApiKey(store, {
        tenantId,
        roles,
        subject: subject ?? `${tenantId}-${roles.join('-')}`,
        groups: groups ?? [],
      });
      return secret;
    },
    async gql(secret, query, variables) {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await gateway.stop('test finished');
      await store.close();
    },
    listeners: () => listenerRegistrations(engine),
    listening: (before, count = 1) =>
      eventually(
        () => (listenerRegistrations(engine) >= before + count ? true : undefined),
        'the subscription',
      ).then(() => undefined),
  };
}
