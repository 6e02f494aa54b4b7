/**
 * The Postgres store (`LLMTEAM_BENCH_POSTGRES_URL`, default the local `test` database, in
 * a schema of its own that is dropped afterwards).
 *
 * - `chain`: a 10-step chain, one commit per step, against `bareInsertUs`, one single-row
 *   INSERT transaction through the same pool in the same run. Target: `ratio` <= 2.
 * - `largeOutputs`: the chain with a 100 KB (incompressible) output per step: cost of steps
 *   8-10 vs 1-3 (target ~1) and relation growth per run over the sum of outputs (target <= 1.2).
 * - `workers`: runs per second with 1, 2 and 3 workers (each its own store and pool, 4 runs
 *   in flight each) committing 10-step chains for 3 seconds.
 */
import { pathToFileURL } from 'node:url';
import type { PostgresStore } from '@llmteam/store-postgres';
import {
  largeOutput,
  mean,
  outputBytes,
  persistChain,
  r2,
  smallOutput,
  storeTransaction,
  timeEach,
} from './store-chain.js';

const URL_ = process.env.LLMTEAM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Query = (sql: string) => Promise<Array<Record<string, unknown>>>;
const queryOf =
  (store: PostgresStore): Query =>
  (sql) =>
    (store as unknown as { dataSource: { query: Query } }).dataSource.query(sql);

async function relationBytes(q: Query, schema: string): Promise<number> {
  await q('CHECKPOINT').catch(() => undefined);
  const [row] = await q(
    `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${schema}' AND c.relkind = 'r'`,
  );
  return Number(row.bytes);
}

/** Runs the Postgres store benchmark; returns a JSON-able report. */
export async function run(): Promise<Record<string, unknown>> {
  // Imported here, so the bench runner still loads this file where the package is missing.
  const { PostgresStore } = await import('@llmteam/store-postgres');
  const schema = `bench_${process.pid}`;
  const store = new PostgresStore({ url: URL_, schema });
  await store.init();
  const q = queryOf(store);
  try {
    const exec = storeTransaction(store);
    await exec('CREATE TABLE bench_bare (id BIGINT PRIMARY KEY, v TEXT NOT NULL)', []);
    await timeEach(200, (i) => exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [1_000_000 + i, 'x']));
    await persistChain(store, 't1', 'warm', { steps: 10, output: smallOutput });
    const bare: number[] = [];
    const chain: number[] = [];
    for (let round = 0; round < 5; round++) {
      bare.push(
        await timeEach(200, (i) =>
          exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [round * 1000 + i, 'x']),
        ),
      );
      const timings: number[] = [];
      for (let r = 0; r < 15; r++)
        await persistChain(store, 't1', `run-${round}-${r}`, { steps: 10, output: smallOutput, timings });
      chain.push(mean(timings) * 1000);
    }
    const bareInsertUs = mean(bare);
    const usPerStep = mean(chain);

    const before = await relationBytes(q, schema);
    const timings: number[][] = Array.from({ length: 10 }, () => []);
    let outputs = 0;
    const runs = 10;
    for (let r = 0; r < runs; r++) {
      const t: number[] = [];
      await persistChain(store, 't1', `large-${r}`, {
        steps: 10,
        output: () => {
          const value = largeOutput();
          outputs += outputBytes(value);
          return value;
        },
        timings: t,
      });
      for (const [i, ms] of t.entries()) timings[i].push(ms * 1000);
    }
    const after = await relationBytes(q, schema);
    const early = mean([...timings[0], ...timings[1], ...timings[2]]);
    const late = mean([...timings[7], ...timings[8], ...timings[9]]);

    const workers: Record<string, { runsPerSecond: number; stepsPerSecond: number }> = {};
    for (const count of [1, 2, 3]) {
      const stores = Array.from(
        { length: count },
        () => new PostgresStore({ url: URL_, schema, poolSize: 4 }),
      );
      await Promise.all(stores.map((s) => s.init()));
      let done = 0;
      const end = Date.now() + 3000;
      const t0 = Date.now();
      await Promise.all(
        stores.flatMap((s, w) =>
          Array.from({ length: 4 }, async (_, lane) => {
            for (let n = 0; Date.now() < end; n++) {
              await persistChain(s, 't2', `w${count}-${w}-${lane}-${n}`, { steps: 10, output: smallOutput });
              done++;
            }
          }),
        ),
      );
      const seconds = (Date.now() - t0) / 1000;
      workers[String(count)] = {
        runsPerSecond: r2(done / seconds),
        stepsPerSecond: r2((done * 10) / seconds),
      };
      await Promise.all(stores.map((s) => s.close()));
    }

    return {
      chain: {
        bareInsertUs: r2(bareInsertUs),
        usPerStep: r2(usPerStep),
        ratio: r2(usPerStep / bareInsertUs),
      },
      largeOutputs: {
        usPerStepEarly: r2(early),
        usPerStepLate: r2(late),
        lateVsEarly: r2(late / early),
        bytesPerRun: Math.round((after - before) / runs),
        outputBytesPerRun: Math.round(outputs / runs),
        bytesPerRunVsOutputs: r2((after - before) / outputs),
      },
      workers,
    };
  } finally {
    await q(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  console.log(JSON.stringify(await run(), null, 2));
