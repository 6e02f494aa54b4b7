// Helpers shared by the gateway's tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEngine, type Engine, MemoryStore, type Role, type Store } from '@llmteam/core';
import { eventually, type NodeProcess, startNodeProcess } from '@llmteam/testkit';
import { createApiKey, ensureTenant } from './auth/api-keys.js';
import { createGateway, type Gateway, type GatewayOptions } from './create-gateway.js';
import { createLogger } from './logger.js';

export { eventually };

/** `main.ts`: what `pnpm start` runs. */
export const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** `cli.ts`: the `llmteam` command. */
export const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
/**
 * Node options that run the gateway from its sources, as `pnpm start` does: workspace
 * packages resolve to their sources, and tsx (by absolute URL, for children that run in a
 * temporary directory) compiles them.
 */
export const WORKSPACE_NODE_ARGS = [
  '--import',
  fileURLToPath(new URL('../scripts/workspace-sources.mjs', import.meta.url)),
  '--import',
  pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'))
    .href,
];

/**
 * Starts `main.ts` (what `pnpm start` runs) as a child process in `dir` on `port`, and
 * resolves once it printed its banner. `env` adds to (or overrides) a quiet test setting.
 */
export function startMain(
  dir: string,
  port: number,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<NodeProcess> {
  return startNodeProcess({
    entry: MAIN,
    args,
    cwd: dir,
    nodeArgs: WORKSPACE_NODE_ARGS,
    env: { PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
  });
}

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
