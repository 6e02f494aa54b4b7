/**
 * The engine workloads of the performance issue, each run the way a user runs it: start a
 * run, let it run to its end, read the result (`waitForRun` returns the completed run).
 *
 * - `w1`: a 10-step chain on MemoryStore, µs per step. Target <= 5.
 * - `w2`: the same chain on SQLite (a file on disk, WAL) at `synchronous` NORMAL and FULL,
 *   µs per step, next to a bare single-row INSERT transaction on the same connection and
 *   queue in the same run. Target (NORMAL) <= 140.
 * - `w3`: split -> 8 parallel steps of 5 ms -> join, ms per run (floor 5.13, the cost of
 *   one 5 ms timer here), on MemoryStore and on SQLite NORMAL.
 * - `concurrency`: runs/s of the 10-step chain one at a time and 100 at once, on SQLite
 *   NORMAL (target: 100 at once >= 3x one at a time) and on Postgres with one and with two
 *   engine processes (`LLMTEAM_BENCH_POSTGRES_URL`, default the local `test` database).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEngine, type Engine, MemoryStore, type Store } from '@llmteam/core';
import { betterSqlite3Problem, SqliteStore } from '@llmteam/store-sqlite';
import { countStatements, mean, r2, storeTransaction, timeEach } from './store-chain.js';
import { benchStepTypes, chainSegment, fanOutSegment } from './workloads-segments.js';

const PG_URL = process.env.LLMTEAM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function engineOn(store: Store): Promise<Engine> {
  const engine = createEngine({ store, stepTypes: benchStepTypes });
  await engine.upsertSegment(chainSegment);
  await engine.upsertSegment(fanOutSegment);
  return engine;
}

/** Start, run to the end, read the result. */
async function runToEnd(engine: Engine, segmentId: string, input: unknown): Promise<void> {
  const run = await engine.startRun({ segmentId, input });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  if (done.status !== 'completed') throw new Error(`run ${run.runId} ended ${done.status}`);
}

/** Microseconds per step of the 10-step chain, `runs` runs one after the other. */
async function chainUsPerStep(engine: Engine, runs: number): Promise<number> {
  const us = await timeEach(runs, (i) => runToEnd(engine, 'bench_chain', { n: i }));
  return us / 10;
}

type Driver = 'sqlite3' | 'better-sqlite3';

async function sqlite(
  dir: string,
  synchronous: 'NORMAL' | 'FULL',
  driver: Driver = 'sqlite3',
): Promise<SqliteStore> {
  const store = new SqliteStore({
    path: join(dir, `w-${synchronous}-${driver}.sqlite`),
    synchronous,
    driver,
  });
  await store.init();
  return store;
}

async function w1(): Promise<Record<string, unknown>> {
  const engine = await engineOn(new MemoryStore());
  await chainUsPerStep(engine, 3000);
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) rounds.push(await chainUsPerStep(engine, 1000));
  await engine.stop();
  rounds.sort((a, b) => a - b);
  return { usPerStep: r2(rounds[2]), target: '<= 5' };
}

async function w2(
  dir: string,
  synchronous: 'NORMAL' | 'FULL',
  driver: Driver = 'sqlite3',
): Promise<Record<string, unknown>> {
  const store = await sqlite(dir, synchronous, driver);
  const statements = countStatements(store);
  const engine = await engineOn(store);
  const exec = storeTransaction(store);
  await exec('CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, v TEXT NOT NULL)', []);
  await chainUsPerStep(engine, 50);
  await timeEach(200, (i) => exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [1_000_000 + i, 'x']));
  const s0 = statements();
  await chainUsPerStep(engine, 10);
  const statementsPerStep = (statements() - s0) / 100;
  // Baseline and workload interleaved in rounds, so drift hits both alike.
  const bare: number[] = [];
  const chain: number[] = [];
  for (let round = 0; round < 5; round++) {
    bare.push(
      await timeEach(200, (i) =>
        exec('INSERT INTO bench_bare (id, v) VALUES (?, ?)', [round * 1000 + i, 'x']),
      ),
    );
    chain.push(await chainUsPerStep(engine, 40));
  }
  await engine.stop();
  await store.close();
  const usPerStep = mean(chain);
  const bareInsertUs = mean(bare);
  return {
    usPerStep: r2(usPerStep),
    bareInsertUs: r2(bareInsertUs),
    ratioToBareInsert: r2(usPerStep / bareInsertUs),
    statementsPerStep: r2(statementsPerStep),
    ...(synchronous === 'NORMAL' ? { target: '<= 140' } : {}),
  };
}

/** W2 with the default driver (`sqlite3`) and with `better-sqlite3`. */
async function w2Both(dir: string): Promise<Record<string, unknown>> {
  return {
    normal: await w2(dir, 'NORMAL'),
    full: await w2(dir, 'FULL'),
    betterSqlite3:
      betterSqlite3Problem() === undefined
        ? { normal: await w2(dir, 'NORMAL', 'better-sqlite3'), full: await w2(dir, 'FULL', 'better-sqlite3') }
        : { notRun: betterSqlite3Problem() },
  };
}

async function fanOutMs(engine: Engine, runs: number): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await runToEnd(engine, 'bench_fan', i);
    walls.push(performance.now() - t0);
  }
  walls.sort((a, b) => a - b);
  return walls[Math.floor(walls.length / 2)];
}

/** What one 5 ms timer costs here: the floor of a run whose branches sleep 5 ms at once. */
async function timerFloorMs(): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 5));
    walls.push(performance.now() - t0);
  }
  walls.sort((a, b) => a - b);
  return walls[25];
}

async function w3(dir: string): Promise<Record<string, unknown>> {
  const memory = await engineOn(new MemoryStore());
  await fanOutMs(memory, 20);
  const onMemory = await fanOutMs(memory, 100);
  await memory.stop();
  const store = await sqlite(dir, 'NORMAL');
  const onSqlite = await engineOn(store);
  await fanOutMs(onSqlite, 10);
  const sqliteMs = await fanOutMs(onSqlite, 50);
  await onSqlite.stop();
  await store.close();
  return {
    memoryMsPerRun: r2(onMemory),
    sqliteNormalMsPerRun: r2(sqliteMs),
    timer5msFloor: r2(await timerFloorMs()),
    target: 'floor 5.13 (LangGraph 9.03, Mastra 5.88)',
  };
}

/** Runs/s of `total` chains, `atOnce` in flight at a time. */
async function runsPerSecond(engine: Engine, total: number, atOnce: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: atOnce }, async () => {
      while (next < total) {
        next++;
        await runToEnd(engine, 'bench_chain', next);
      }
    }),
  );
  return (total * 1000) / (performance.now() - t0);
}

async function pgProcesses(schema: string, processes: number, runs: number): Promise<number> {
  const worker = fileURLToPath(new URL('./workloads-pg-worker.ts', import.meta.url));
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify({ url: PG_URL, schema, runs })], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map(
    (child) =>
      new Promise<string[]>((resolve, reject) => {
        const out: string[] = [];
        let buffer = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            out.push(buffer.slice(0, nl));
            buffer = buffer.slice(nl + 1);
            if (out.at(-1) === 'ready') child.emit('ready');
            nl = buffer.indexOf('\n');
          }
        });
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
      }),
  );
  await Promise.all(children.map((c) => new Promise((r) => c.once('ready', r))));
  for (const c of children) c.stdin.end('go\n');
  const results = (await Promise.all(lines)).map(
    (out) => JSON.parse(out.at(-1)!) as { startedAt: number; endedAt: number; runs: number },
  );
  const start = Math.min(...results.map((r) => r.startedAt));
  const end = Math.max(...results.map((r) => r.endedAt));
  return (results.reduce((n, r) => n + r.runs, 0) * 1000) / (end - start);
}

/** Runs/s of the chain on SQLite NORMAL, one at a time and 100 at once. */
async function sqliteConcurrency(dir: string, driver: Driver): Promise<Record<string, unknown>> {
  const store = await sqlite(dir, 'NORMAL', driver);
  const engine = await engineOn(store);
  await runsPerSecond(engine, 50, 1);
  const one = await runsPerSecond(engine, 200, 1);
  const hundred = await runsPerSecond(engine, 1000, 100);
  await engine.stop();
  await store.close();
  return {
    oneAtATimeRunsPerSec: Math.round(one),
    hundredAtOnceRunsPerSec: Math.round(hundred),
    ratio: r2(hundred / one),
    target: 'ratio >= 3',
  };
}

async function concurrency(dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    sqliteNormal: await sqliteConcurrency(dir, 'sqlite3'),
    sqliteNormalBetterSqlite3:
      betterSqlite3Problem() === undefined
        ? await sqliteConcurrency(dir, 'better-sqlite3')
        : { notRun: betterSqlite3Problem() },
  };
  try {
    const { PostgresStore } = await import('@llmteam/store-postgres');
    const schema = `bench_w_${process.pid}`;
    const pg = new PostgresStore({ url: PG_URL, schema });
    await pg.init();
    const pgEngine = await engineOn(pg);
    try {
      await runsPerSecond(pgEngine, 20, 1);
      const pgOne = await runsPerSecond(pgEngine, 100, 1);
      const pgHundred = await runsPerSecond(pgEngine, 1000, 100);
      await pgEngine.stop();
      const twoProcesses = await pgProcesses(schema, 2, 500);
      out.postgres = {
        oneAtATimeRunsPerSec: Math.round(pgOne),
        hundredAtOnceOneProcessRunsPerSec: Math.round(pgHundred),
        hundredAtOnceTwoProcessesRunsPerSec: Math.round(twoProcesses),
      };
    } finally {
      await pgEngine.stop();
      await (pg as unknown as { dataSource: { query(sql: string): Promise<unknown> } }).dataSource
        .query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        .catch(() => undefined);
      await pg.close();
    }
  } catch (error) {
    out.postgres = { error: (error as Error).message };
  }
  return out;
}

/** Runs the engine workloads; returns a JSON-able report. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-workloads-'));
  try {
    return {
      w1: await w1(),
      w2: await w2Both(dir),
      w3: await w3(dir),
      concurrency: await concurrency(dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv[2];
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-workloads-'));
  const parts: Record<string, () => Promise<unknown>> = {
    w1,
    w2: () => w2Both(dir),
    w3: () => w3(dir),
    concurrency: () => concurrency(dir),
  };
  const result = only ? { [only]: await parts[only]() } : await run();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
