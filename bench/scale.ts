/**
 * `pnpm bench scale [--runs N] [--stores sqlite,postgres] [--throughput-runs N]`: many runs
 * waiting at a human task (default 1,000,000), on SQLite and on Postgres. Not part of
 * `pnpm bench` without its name (it takes long at the default size).
 *
 * Seeding: the engine's commits for one run up to its wait are recorded once, folded into
 * one commit, and written for every run with the SQL stores' `importRuns`, 2000 runs a
 * transaction: the same rows, encoded by the same codecs, that `Store.commit` writes (run,
 * steps, events, interaction, SLA timer, audit entries), without the engine's two to three
 * commits and a handler per run (hours for a million). Then a fresh engine process opens the store and
 * reports (targets in brackets):
 * - `startupMs`: creating and starting the engine, first poll included (must not grow with N:
 *   no scan of the waiting runs)
 * - `rssMB`: its RSS after start and after the work below (flat: compare with `empty`)
 * - `dbBytesPerRun`: the database's size divided by the waiting runs
 * - `inboxFirstPageMs`: the first 50 requests of `alice` in SLA order (p99 < 50 ms)
 * - `answerToNextStepMs`: `respond()` to the next step's `step.started` (p99 < 10 ms)
 * and `throughput`: runs/s (three transform steps each) with 1, 2 and 4 engine processes on
 * one Postgres.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, type Store } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';
import { createSqliteStore } from '@llmteam/store-sqlite';
import {
  type BulkStore,
  recordWaitingRun,
  SCALE_SEGMENT,
  seedWaitingRuns,
  templateFor,
} from './scale-seed.js';

/** Only when named: `pnpm bench` alone skips it. */
export const namedOnly = true;

const PG_URL = process.env.LLMTEAM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function child(file: string, args: unknown, onLine?: (line: string, stdin: NodeJS.WritableStream) => void) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), JSON.stringify(args)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of d.toString().split('\n')) if (line) onLine?.(line, proc.stdin);
  });
  return new Promise<string>((resolve, reject) =>
    proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited with ${code}`)))),
  );
}

async function probe(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out = await child('./scale-probe.ts', { inboxPages: 200, answers: 300, ...args });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

async function seed(store: BulkStore, runs: number, batch: number): Promise<number> {
  const engine = createEngine({ store });
  await engine.upsertSegment(SCALE_SEGMENT);
  await engine.stop();
  const make = templateFor(await recordWaitingRun());
  const t0 = Date.now();
  await seedWaitingRuns(store, make, 1, runs, batch, (done) =>
    process.stderr.write(
      `  seeded ${done} of ${runs} (${Math.round(done / ((Date.now() - t0) / 1000))} runs/s)\n`,
    ),
  );
  return Math.round(runs / ((Date.now() - t0) / 1000));
}

async function sqlite(runs: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-scale-'));
  try {
    const empty = join(dir, 'empty.sqlite');
    const init = createSqliteStore({ path: empty });
    await init.init();
    await init.close();
    const path = join(dir, 'scale.sqlite');
    const store = createSqliteStore({ path, synchronous: 'NORMAL' });
    await store.init();
    const seedRunsPerSecond = await seed(store, runs, 2000);
    const { rows } = await (store as unknown as { read<T>(fn: (q: any) => Promise<T>): Promise<any> }).read(
      (q) => q.exec('PRAGMA wal_checkpoint(TRUNCATE)'),
    );
    void rows;
    await store.close();
    const bytes = statSync(path).size;
    return {
      runs,
      seedRunsPerSecond,
      seeding: 'one folded commit per run, 2000 runs a transaction through importRuns (synchronous NORMAL)',
      dbBytesPerRun: Math.round(bytes / runs),
      empty: await probe({ store: 'sqlite', path: empty, answers: 0, inboxPages: 20 }),
      seeded: await probe({ store: 'sqlite', path }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function schemaBytes(store: Store, schema: string): Promise<number> {
  const { rows } = await (store as unknown as { read<T>(fn: (q: any) => Promise<T>): Promise<any> }).read(
    (q) =>
      q.exec(
        `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${schema}' AND c.relkind = 'r'`,
      ),
  );
  return Number(rows[0].bytes);
}

async function dropSchema(schema: string): Promise<void> {
  // A store on the schema itself drops it: nothing is created anywhere else.
  const store = createPostgresStore({ url: PG_URL, schema });
  await store.init();
  await (store as unknown as { read<T>(fn: (q: any) => Promise<T>): Promise<any> }).read((q) =>
    q.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
  );
  await store.close();
}

async function postgres(runs: number): Promise<Record<string, unknown>> {
  const schema = `bench_scale_${process.pid}`;
  const empty = `${schema}_empty`;
  try {
    const e = createPostgresStore({ url: PG_URL, schema: empty });
    await e.init();
    await e.close();
    const store = createPostgresStore({ url: PG_URL, schema, poolSize: 16 });
    await store.init();
    const seedRunsPerSecond = await seed(store, runs, 2000);
    await (store as unknown as { read<T>(fn: (q: any) => Promise<T>): Promise<any> }).read((q) =>
      q.exec('ANALYZE'),
    );
    const bytes = await schemaBytes(store, schema);
    await store.close();
    return {
      runs,
      seedRunsPerSecond,
      seeding: 'one folded commit per run, 2000 runs a transaction through importRuns',
      dbBytesPerRun: Math.round(bytes / runs),
      empty: await probe({ store: 'postgres', url: PG_URL, schema: empty, answers: 0, inboxPages: 20 }),
      seeded: await probe({ store: 'postgres', url: PG_URL, schema }),
    };
  } finally {
    await dropSchema(schema).catch(() => undefined);
    await dropSchema(empty).catch(() => undefined);
  }
}

async function throughput(runsPerProcess: number): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const processes of [1, 2, 4]) {
    const schema = `bench_tp_${process.pid}_${processes}`;
    try {
      const init = createPostgresStore({ url: PG_URL, schema });
      await init.init();
      await init.close();
      let ready = 0;
      const stdins: NodeJS.WritableStream[] = [];
      const outs = await Promise.all(
        Array.from({ length: processes }, () =>
          child(
            './scale-worker.ts',
            { url: PG_URL, schema, runs: runsPerProcess, concurrency: 16 },
            (line, stdin) => {
              if (line !== 'ready') return;
              stdins.push(stdin);
              if (++ready === processes) for (const s of stdins) s.write('go\n');
            },
          ),
        ),
      );
      const reports = outs.map(
        (o) =>
          JSON.parse(o.trim().split('\n').at(-1)!) as {
            startedAt: number;
            endedAt: number;
            runs: number;
            failed: number;
          },
      );
      const seconds =
        (Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt))) / 1000;
      const total = reports.reduce((n, r) => n + r.runs, 0);
      result[`${processes}`] = {
        runsPerSecond: Math.round(total / seconds),
        runs: total,
        failed: reports.reduce((n, r) => n + r.failed, 0),
      };
    } finally {
      await dropSchema(schema).catch(() => undefined);
    }
  }
  return result;
}

export async function run(): Promise<Record<string, unknown>> {
  const runs = Number(flag('runs', '1000000'));
  const stores = flag('stores', 'sqlite,postgres').split(',');
  const result: Record<string, unknown> = {
    target: {
      inboxFirstPageP99Ms: '< 50',
      answerToNextStepP99Ms: '< 10',
      startup: 'flat in N',
      rss: 'flat in N',
    },
  };
  // Each part is printed to stderr as it ends: a long run that is stopped keeps what it measured.
  const part = async (name: string, fn: () => Promise<Record<string, unknown>>) => {
    result[name] = await fn();
    process.stderr.write(`scale ${name}: ${JSON.stringify(result[name])}\n`);
  };
  if (stores.includes('sqlite')) await part('sqlite', () => sqlite(runs));
  if (stores.includes('postgres')) {
    await part('postgres', () => postgres(runs));
    await part('throughput', () => throughput(Number(flag('throughput-runs', '500'))));
  }
  return result;
}
