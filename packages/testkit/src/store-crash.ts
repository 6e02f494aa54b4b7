import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '@llmteam/core';
import type { CrashWorkerArgs } from './store-crash-worker.js';

/** One side effect as the receiver saw it. */
export interface ReceivedEffect {
  /** The `Idempotency-Key` header. */
  key: string;
  runId: string;
  stepId: string;
  attempt: number;
  /** Random per handler call; the step's stored output carries the committed call's nonce. */
  nonce: string;
  worker: string;
  /** When the handler sent it (the worker's clock). */
  at: string;
  /** Arrival order. */
  order: number;
}

/** Options of {@link runStoreCrashScenario}. */
export interface StoreCrashScenarioOptions {
  /** Module that exports the store factory, e.g. `@llmteam/store-sqlite`. */
  storeModule: string;
  /** Name of the factory export, e.g. `createSqliteStore`. */
  factory: string;
  /** Options passed to the factory in every worker (they must share the data). */
  storeOptions: Record<string, unknown>;
  /**
   * `serial`: one worker at a time, each killed with SIGKILL after a random delay, then a
   * last worker finishes every run (single-process stores). `shared`: `workers` workers at
   * once on one store while a seeder process starts the runs and leaves; one worker is
   * killed mid-way; the rest finish every run (multi-process stores).
   */
  mode: 'serial' | 'shared';
  /** serial: workers to kill. @default 30 */
  kills?: number;
  /** serial: runs each worker starts. shared: runs the seeder starts. @default 3 (serial), 300 (shared) */
  runsPerWorker?: number;
  /** shared: worker processes. @default 3 */
  workers?: number;
  /**
   * serial: even-numbered workers are killed this long after they spawned, uniformly at
   * random, in ms; odd-numbered ones up to `max - min` after they started their runs.
   * @default [300, 1500]
   */
  killAfterMs?: [number, number];
  /** shared: the victim is killed up to this long (at random) after its 10th side effect, in ms. @default 300 */
  killVictimAfterMs?: number;
  /** @default 5 */
  stepsPerRun?: number;
  /** Each step handler takes this long, uniformly at random, in ms. @default [20, 120] */
  stepDelayMs?: [number, number];
  /** Engine lease in the workers (a killed worker's runs wait this long). @default 500 */
  leaseMs?: number;
  /** Environment for the workers (e.g. `TSX_TSCONFIG_PATH`). */
  env?: Record<string, string>;
  /** How long the finishing workers may take, in ms. @default 60000 */
  finishTimeoutMs?: number;
}

/** What happened, for the caller's assertions. */
export interface StoreCrashScenarioResult {
  kills: number;
  received: ReceivedEffect[];
  /** Exit codes of the workers that were not killed (0 each when all runs finished), the seeder first. */
  finishCodes: number[];
  stderr: string;
}

/**
 * Crash test with real processes: workers run chains of side-effecting steps on one store
 * and are killed with SIGKILL at random moments; the caller then opens the store and
 * checks that every run completed once, event logs are gapless, and no completed step ran
 * again (the last side effect of each step carries the nonce its stored output holds).
 * Workers are started with `node --import tsx` when this file runs from TypeScript sources.
 */
export async function runStoreCrashScenario(
  options: StoreCrashScenarioOptions,
): Promise<StoreCrashScenarioResult> {
  const received: ReceivedEffect[] = [];
  let order = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Omit<ReceivedEffect, 'key' | 'order'>;
        received.push({ ...body, key: String(req.headers['idempotency-key'] ?? ''), order: order++ });
        res.end('ok');
      } catch {
        res.statusCode = 400;
        res.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/effects`;

  const workerFile = fileURLToPath(
    new URL(`./store-crash-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
  );
  const stepsPerRun = options.stepsPerRun ?? 5;
  const stepDelayMs = options.stepDelayMs ?? [20, 120];
  const leaseMs = options.leaseMs ?? 500;
  const finishTimeoutMs = options.finishTimeoutMs ?? 60_000;
  let stderr = '';

  const spawnWorker = (
    args: Omit<
      CrashWorkerArgs,
      'storeModule' | 'factory' | 'storeOptions' | 'receiverUrl' | 'stepsPerRun' | 'stepDelayMs' | 'leaseMs'
    >,
  ) => {
    const full: CrashWorkerArgs = {
      ...args,
      storeModule: options.storeModule,
      factory: options.factory,
      storeOptions: options.storeOptions,
      receiverUrl,
      stepsPerRun,
      stepDelayMs,
      leaseMs,
    };
    const child = spawn(
      process.execPath,
      [...(workerFile.endsWith('.ts') ? ['--import', 'tsx'] : []), workerFile, JSON.stringify(full)],
      {
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const ready = new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
    });
    const exited = once(child, 'exit').then(([code]) => (code as number | null) ?? -1);
    return { child, ready, exited };
  };
  const kill = async (child: ChildProcess, exited: Promise<number>) => {
    child.kill('SIGKILL');
    await exited;
  };

  let kills = 0;
  const finishCodes: number[] = [];
  try {
    if (options.mode === 'serial') {
      const [min, max] = options.killAfterMs ?? [300, 1500];
      let expectRuns = 0;
      for (let i = 0; i < (options.kills ?? 30); i++) {
        const w = spawnWorker({ workerId: `w${i}`, startRuns: options.runsPerWorker ?? 3 });
        const delay = min + Math.random() * (max - min);
        // Every other worker dies at a random moment after it started its runs (mid-step,
        // mid-commit); the others at a random moment after spawning, start-up included,
        // whatever the machine's load.
        if (i % 2)
          await Promise.race([w.ready, w.exited]).then(
            () => new Promise((r) => setTimeout(r, Math.random() * (max - min))),
          );
        else await new Promise((r) => setTimeout(r, delay));
        await kill(w.child, w.exited);
        kills++;
        expectRuns = 1; // at least one run exists once any worker got far enough
      }
      const last = spawnWorker({
        workerId: 'finisher',
        startRuns: 0,
        finish: { expectRuns, timeoutMs: finishTimeoutMs },
      });
      finishCodes.push(await last.exited);
    } else {
      const total = options.runsPerWorker ?? 300;
      // The seeder starts every run and leaves (releasing its leases) without running a
      // step; then the workers spread the runs among themselves through claims.
      const seeder = spawnWorker({
        workerId: 'seeder',
        startRuns: total,
        seedOnly: true,
        pollIntervalMs: 3_600_000,
      });
      finishCodes.push(await seeder.exited);
      const workers = Array.from({ length: options.workers ?? 3 }, (_, i) =>
        spawnWorker({
          workerId: `w${i + 1}`,
          startRuns: 0,
          finish: { expectRuns: total, timeoutMs: finishTimeoutMs },
        }),
      );
      const victim = workers[0];
      await victim.ready;
      // Mid-way: once the victim holds runs and has done part of their work.
      for (
        const end = Date.now() + finishTimeoutMs;
        received.filter((e) => e.worker === 'w1').length < 10 && Date.now() < end;
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, Math.random() * (options.killVictimAfterMs ?? 300)));
      await kill(victim.child, victim.exited);
      kills++;
      for (const w of workers.slice(1)) finishCodes.push(await w.exited);
    }
  } finally {
    server.close();
  }
  return { kills, received, finishCodes, stderr };
}

/** Summary of {@link verifyCrashOutcome}. */
export interface CrashOutcome {
  runs: number;
  steps: number;
  /** Side effects beyond one per step: in-flight steps that ran again after a kill. */
  repeatedEffects: number;
  /** Everything that broke a guarantee; empty when all held. */
  problems: string[];
}

/**
 * Checks a store after {@link runStoreCrashScenario}: every run completed exactly once,
 * every event log is gapless, every side effect carried its step's idempotency key, and
 * no step ran again after it completed (its last side effect is the one whose result was
 * committed).
 */
export async function verifyCrashOutcome(
  store: Store,
  received: ReceivedEffect[],
  tenantId = 'default',
): Promise<CrashOutcome> {
  const problems: string[] = [];
  const runs = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRuns(tenantId, { limit: 500, after: cursor });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const effects = new Map<string, ReceivedEffect[]>();
  for (const e of received) {
    if (e.key !== `${e.runId}:${e.stepId}:${e.attempt}`)
      problems.push(`side effect ${JSON.stringify(e)} does not carry its idempotency key`);
    const k = `${e.runId}/${e.stepId}`;
    effects.set(k, [...(effects.get(k) ?? []), e]);
  }
  let steps = 0;
  for (const run of runs) {
    if (run.status !== 'completed') problems.push(`run ${run.runId} ended ${run.status}`);
    const events = await store.listEvents(tenantId, run.runId);
    if (events.some((e, i) => e.seq !== i + 1) || events.length !== run.lastSeq)
      problems.push(`run ${run.runId} has gaps in its events`);
    const completions = events.filter((e) => e.type === 'run.completed').length;
    if (completions !== 1) problems.push(`run ${run.runId} completed ${completions} times`);
    for (const step of await store.getSteps(tenantId, run.runId)) {
      steps++;
      if (step.status !== 'completed') {
        problems.push(`step ${run.runId}/${step.stepId} ended ${step.status}`);
        continue;
      }
      const nonce = (step.outputs?.output as { nonce?: string } | undefined)?.nonce;
      const seen = (effects.get(`${run.runId}/${step.stepId}`) ?? []).sort((a, b) => a.order - b.order);
      if (!seen.length) problems.push(`step ${run.runId}/${step.stepId} completed without its side effect`);
      else if (seen[seen.length - 1].nonce !== nonce) {
        const calls = seen
          .map((e) => `${e.worker}#${e.attempt}${e.nonce === nonce ? '(committed)' : ''}`)
          .join(' ');
        problems.push(`step ${run.runId}/${step.stepId} ran again after it completed: ${calls}`);
      }
    }
  }
  return { runs: runs.length, steps, repeatedEffects: received.length - steps, problems };
}

/**
 * For workspaces whose packages point at unbuilt `dist/` files: writes a tsconfig mapping
 * every workspace package name (under `packages/`, `plugins/`, `apps/`) to its
 * `src/index.ts`, and returns the environment that makes tsx use it in worker processes.
 */
export function workspaceSourcesEnv(rootDir: string, outDir: string): Record<string, string> {
  const paths: Record<string, string[]> = {};
  for (const group of ['packages', 'plugins', 'apps']) {
    const dir = join(rootDir, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      paths[pkg.name] = [join(dir, name, 'src/index.ts')];
    }
  }
  const file = join(outDir, 'tsconfig.workers.json');
  writeFileSync(
    file,
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', paths },
    }),
  );
  return { TSX_TSCONFIG_PATH: file };
}
