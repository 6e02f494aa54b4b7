/**
 * The SQLite store on a file on disk, synchronous FULL (the default) and NORMAL.
 *
 * - `chain`: a 10-step chain, one commit per step (run header update, two step rows, two
 *   events). `usPerStep` against `bareInsertUs`, one single-row INSERT transaction through
 *   the same connection and queue in the same run. Target: `ratio` <= 2.
 * - `largeOutputs`: the same chain with a 100 KB output per step (each step's input is the
 *   previous output, as the engine records it). `lateVsEarly` compares the cost of steps
 *   8-10 with steps 1-3 (target ~1: cost does not grow with earlier outputs);
 *   `bytesPerRunVsOutputs` is the database growth per run over the sum of outputs
 *   (target <= 1.2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStore } from '@llmteam/store-sqlite';
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

async function pages(store: SqliteStore): Promise<number> {
  const ds = (
    store as unknown as { dataSource: { query(sql: string): Promise<Array<Record<string, number>>> } }
  ).dataSource;
  await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
  const [{ page_count }] = await ds.query('PRAGMA page_count');
  const [{ freelist_count }] = await ds.query('PRAGMA freelist_count');
  const [{ page_size }] = await ds.query('PRAGMA page_size');
  return (page_count - freelist_count) * page_size;
}

async function measure(synchronous: 'FULL' | 'NORMAL', dir: string): Promise<Record<string, unknown>> {
  const store = new SqliteStore({ path: join(dir, `bench-${synchronous}.sqlite`), synchronous });
  await store.init();
  try {
    const exec = storeTransaction(store);
    await exec('CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, v TEXT NOT NULL)', []);
    // Warm-up, then the baseline and the chain interleaved in rounds so drift hits both alike.
    await timeEach(200, (i) => exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [1_000_000 + i, 'x']));
    await persistChain(store, 't1', 'warm', { steps: 10, output: smallOutput });
    const bare: number[] = [];
    const chain: number[] = [];
    for (let round = 0; round < 5; round++) {
      bare.push(
        await timeEach(300, (i) =>
          exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [round * 1000 + i, 'x']),
        ),
      );
      const timings: number[] = [];
      for (let r = 0; r < 20; r++)
        await persistChain(store, 't1', `run-${round}-${r}`, { steps: 10, output: smallOutput, timings });
      chain.push(mean(timings) * 1000);
    }
    const bareInsertUs = mean(bare);
    const usPerStep = mean(chain);

    const before = await pages(store);
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
    const after = await pages(store);
    const early = mean([...timings[0], ...timings[1], ...timings[2]]);
    const late = mean([...timings[7], ...timings[8], ...timings[9]]);
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
    };
  } finally {
    await store.close();
  }
}

/** Runs the SQLite store benchmark; returns a JSON-able report. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-sqlite-'));
  try {
    return { full: await measure('FULL', dir), normal: await measure('NORMAL', dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  console.log(JSON.stringify(await run(), null, 2));
