/**
 * One engine process of the Postgres part of `workloads-engine.ts` (no `run()`: the runner
 * skips this file): runs `runs` 10-step chains, 50 at a time, on a shared Postgres schema
 * once the parent says go, and prints its start and end time (epoch ms) as JSON.
 */
import { pathToFileURL } from 'node:url';
import { createEngine } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';
import { benchStepTypes, chainSegment } from './workloads-segments.js';

async function main(): Promise<void> {
  const { url, schema, runs } = JSON.parse(process.argv[2] ?? '{}') as {
    url: string;
    schema: string;
    runs: number;
  };
  const store = createPostgresStore({ url, schema });
  const engine = createEngine({ store, stepTypes: benchStepTypes });
  await engine.upsertSegment(chainSegment).catch(() => undefined);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const startedAt = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < runs) {
        next++;
        const run = await engine.startRun({ segmentId: 'bench_chain', input: next });
        await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 120_000 });
      }
    }),
  );
  const endedAt = Date.now();
  await engine.stop();
  await store.close();
  process.stdout.write(`${JSON.stringify({ startedAt, endedAt, runs })}\n`);
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
