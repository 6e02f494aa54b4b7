/**
 * A worker process for the store crash scenario ({@link runStoreCrashScenario}): runs an
 * engine on a store made by a factory in a module, starts a few runs of a chain whose
 * steps POST a side effect (with their idempotency key) to a local receiver, and works
 * until it is killed, or (with `finish`) until every run is done.
 *
 * Arguments: one JSON object, see {@link CrashWorkerArgs}.
 */
import { randomUUID } from 'node:crypto';
import {
  createEngine,
  defineStepType,
  type SegmentDefinition,
  type Store,
  TERMINAL_RUN_STATUSES,
} from '@llmteam/core';

/** What the scenario passes to a worker. */
export interface CrashWorkerArgs {
  storeModule: string;
  factory: string;
  storeOptions: Record<string, unknown>;
  receiverUrl: string;
  workerId: string;
  /** Runs this worker starts (idempotency keys `<workerId>-<i>`). */
  startRuns: number;
  stepsPerRun: number;
  stepDelayMs: [number, number];
  leaseMs: number;
  /** Engine poll interval (timers, orphaned runs). @default 50 */
  pollIntervalMs?: number;
  /**
   * Seeder: start the runs without running any step (handlers wait forever), then stop
   * the engine, releasing its leases, and exit 0.
   */
  seedOnly?: boolean;
  /** Exit 0 once at least `expectRuns` runs exist and all are terminal. */
  finish?: { expectRuns: number; timeoutMs: number };
}

const args = JSON.parse(process.argv[2] ?? '{}') as CrashWorkerArgs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const delay = () => args.stepDelayMs[0] + Math.random() * (args.stepDelayMs[1] - args.stepDelayMs[0]);

const sideEffect = defineStepType({
  type: 'crash_side_effect',
  displayName: 'Side effect',
  category: 'INTEGRATION',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  async handler(ctx) {
    if (args.seedOnly) await new Promise(() => undefined);
    const nonce = randomUUID();
    await sleep(delay() / 2);
    const response = await fetch(args.receiverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey },
      body: JSON.stringify({
        runId: ctx.runId,
        stepId: ctx.stepId,
        attempt: ctx.attempt,
        nonce,
        worker: args.workerId,
        at: new Date().toISOString(),
      }),
    });
    if (!response.ok) throw new Error(`receiver answered ${response.status}`);
    await sleep(delay() / 2);
    return { output: { nonce } };
  },
});

const segment: SegmentDefinition = {
  segment_id: 'crash_chain',
  steps: Array.from({ length: args.stepsPerRun }, (_, i) => ({
    step_id: `s${i}`,
    step_type: 'crash_side_effect',
  })),
  edges: Array.from({ length: args.stepsPerRun - 1 }, (_, i) => ({
    source_step: `s${i}`,
    target_step: `s${i + 1}`,
  })),
};

const module = (await import(args.storeModule)) as Record<
  string,
  (options: Record<string, unknown>) => Store
>;
const store = module[args.factory](args.storeOptions);
const engine = createEngine({
  store,
  stepTypes: [sideEffect],
  leaseMs: args.leaseMs,
  pollIntervalMs: args.pollIntervalMs ?? 50,
  workerId: args.workerId,
});
await engine.start();
for (let i = 0; i < args.startRuns; i += 10) {
  const batch = Array.from({ length: Math.min(10, args.startRuns - i) }, (_, j) => i + j);
  await Promise.all(
    batch.map((n) => engine.startRun({ segment, input: n, idempotencyKey: `${args.workerId}-${n}` })),
  );
}
process.stdout.write('ready\n');

if (args.seedOnly) {
  await engine.stop({ graceMs: 0 });
  await store.close();
  process.exit(0);
}

if (args.finish) {
  const deadline = Date.now() + args.finish.timeoutMs;
  for (;;) {
    const runs = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRuns('default', { limit: 500, after: cursor });
      runs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    if (runs.length >= args.finish.expectRuns && runs.every((r) => TERMINAL_RUN_STATUSES.includes(r.status)))
      break;
    if (Date.now() > deadline) {
      process.stderr.write(
        `runs not finished: ${runs.filter((r) => !TERMINAL_RUN_STATUSES.includes(r.status)).length} of ${runs.length}\n`,
      );
      process.exit(2);
    }
    await sleep(100);
  }
  await engine.stop();
  await store.close();
  process.stdout.write('finished\n');
  process.exit(0);
}
