/**
 * One engine process of the throughput part of `scale.ts`: starts `runs` runs of a
 * three-step segment on a shared Postgres, `concurrency` at a time, each to its end.
 * Prints one JSON line with its start and end time (epoch ms).
 */
import { createEngine } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';

const { url, schema, runs, concurrency } = JSON.parse(process.argv[2]) as {
  url: string;
  schema: string;
  runs: number;
  concurrency: number;
};
const store = createPostgresStore({ url, schema, poolSize: 10 });
const engine = createEngine({ store });
await engine.start();
const t = (id: string) => ({ step_id: id, step_type: 'transform', config: { expression: '$' } });
const segment = {
  segment_id: 'scale_chain',
  version: '1.0.0',
  steps: [t('a'), t('b'), t('c')],
  edges: [
    { source_step: 'a', target_step: 'b' },
    { source_step: 'b', target_step: 'c' },
  ],
};
await engine.upsertSegment(segment).catch(() => undefined);
process.stdout.write('ready\n');
// Every process waits for the go signal so that they run at the same time.
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const startedAt = Date.now();
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < runs) {
      next++;
      const run = await engine.startRun({ segmentId: 'scale_chain', input: 1 });
      const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 120_000 });
      if (done.status !== 'completed') failed++;
    }
  }),
);
const endedAt = Date.now();
await engine.stop();
await store.close();
console.log(JSON.stringify({ startedAt, endedAt, runs, failed }));
process.exit(0);
