import { describe, expect, test } from 'vitest';
import {
  type Commit,
  createEngine,
  defineStepType,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type Store,
  type WorktrailEvent,
} from '../index.js';
import { CrashingStore, driveOnClock, eventOf } from './test-helpers.js';

const BRANCHES = Array.from({ length: 8 }, (_, i) => `b${i}`);

/** split -> 8 branches that wait on the engine clock (`input.delays[i]` ms) -> join (all). */
const fanOut: SegmentDefinition = {
  segment_id: 'fan',
  steps: [
    { step_id: 'split', step_type: 'parallel_split', outputs: BRANCHES.map((b) => ({ port_id: b })) },
    ...BRANCHES.map((b) => ({ step_id: b, step_type: 'wait' })),
    {
      step_id: 'join',
      step_type: 'parallel_join',
      inputs: BRANCHES.map((b) => ({ port_id: b })),
      config: { mode: 'all' },
    },
  ],
  edges: [
    ...BRANCHES.map((b) => ({ source_step: 'split', source_port: b, target_step: b })),
    ...BRANCHES.map((b) => ({ source_step: b, target_step: 'join', target_port: b })),
  ],
};

type Call = { stepId: string; key: string };

/** `wait` (branch `bN`): waits `input.delays[N]` ms of the engine clock; records each call. */
function waitType(calls: Call[]) {
  return defineStepType({
    type: 'wait',
    displayName: 'Wait',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler: async (ctx) => {
      calls.push({ stepId: ctx.stepId, key: ctx.idempotencyKey });
      const ms = (ctx.input as { delays: number[] }).delays[Number(ctx.stepId.slice(1))];
      await new Promise((r) => ctx.clock.setTimeout(() => r(undefined), ms));
      return { output: ctx.stepId };
    },
  });
}

/**
 * MemoryStore seen through a wrapper that keeps every commit it was handed; a commit that
 * `refuse` names fails, as a broken write would.
 */
function counted(memory: MemoryStore, refuse = (_: Commit) => false): { store: Store; commits: Commit[] } {
  const commits: Commit[] = [];
  const store = new Proxy(memory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'commit')
        return async (commit: Commit) => {
          commits.push(commit);
          if (refuse(commit)) throw new Error('disk full');
          return target.commit(commit);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, commits };
}

/** Resolves once `n` handlers were called (or `stop` says there is no point waiting). */
async function untilCalls(calls: Call[], n: number, stop = () => false): Promise<void> {
  while (calls.length < n && !stop()) await new Promise((r) => setImmediate(r));
}

/** Runs the fan-out on a manual clock, moving it 1 ms at a time until the run ends. */
async function runFanOut(delays: number[]) {
  const clock = new ManualClock();
  const calls: Call[] = [];
  const { store, commits } = counted(new MemoryStore());
  const engine = createEngine({ store, clock, stepTypes: [waitType(calls)] });
  const run = await engine.startRun({ segment: fanOut, input: { delays } });
  await untilCalls(calls, 8);
  for (let ms = 1; ms <= Math.max(...delays); ms++) {
    const finishing = delays.filter((d) => d === ms).length;
    clock.advance(1);
    if (finishing)
      await eventOf(engine, run.runId, 'step.completed', 1 + delays.filter((d) => d <= ms).length);
  }
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  const events = await engine.store.listEvents('default', run.runId);
  await engine.stop();
  return { done, events, commits, calls };
}

/** An event as a reader compares it: without its ids, time and measured duration. */
function content(e: WorktrailEvent) {
  const { duration_ms: _d, ...data } = e.data;
  return { seq: e.seq, type: e.type, step_id: e.step_id, data };
}

function branchCompletions(commit: Commit): number {
  return (commit.events ?? []).filter((e) => e.type === 'step.completed' && BRANCHES.includes(e.step_id!))
    .length;
}

describe('outcomes that arrive together', () => {
  test('parallel branches that finish in the same tick are recorded in one commit', async () => {
    const { done, commits } = await runFanOut(BRANCHES.map(() => 5));
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ join: Object.fromEntries(BRANCHES.map((b) => [b, b])) });
    // The run's start, the split's outcome, the eight branches with the join's start, the join.
    expect(commits.map(branchCompletions)).toEqual([0, 0, 8, 0]);
    const batch = commits[2];
    expect(batch.steps?.map((s) => `${s.stepId} ${s.status}`).sort()).toEqual([
      ...BRANCHES.map((b) => `${b} completed`),
      'join running',
    ]);
  });

  test('the worktrail is the same whether branches finish together or one at a time', async () => {
    const together = await runFanOut(BRANCHES.map(() => 5));
    // Branches that finish together are recorded in the order they started (their timers
    // fire in that order); one at a time, in that order too.
    const started = together.events.filter((e) => e.type === 'step.started' && e.step_id !== 'split');
    const order = started.map((e) => e.step_id!).slice(0, 8);
    const apart = await runFanOut(BRANCHES.map((b) => order.indexOf(b) + 1));
    // One commit per branch when they finish apart: the fold changes only how many commits.
    expect(apart.commits.map(branchCompletions)).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(together.commits.length).toBeLessThan(apart.commits.length);
    expect(together.events.map(content)).toEqual(apart.events.map(content));
    const types = together.events.map((e) => `${e.type} ${e.step_id ?? ''}`.trim());
    expect(types).toEqual([
      'run.created',
      'run.started',
      'step.started split',
      'step.completed split',
      ...order.map((b) => `step.started ${b}`),
      ...order.map((b) => `step.completed ${b}`),
      'step.started join',
      'step.completed join',
      'run.completed',
    ]);
  });

  test('an outcome that cannot be recorded does not hold back the others that arrived with it', async () => {
    const clock = new ManualClock();
    const calls: Call[] = [];
    const memory = new MemoryStore();
    const holdsB3 = (c: Commit) => !!c.events?.some((e) => e.type === 'step.completed' && e.step_id === 'b3');
    const { store, commits } = counted(memory, holdsB3);
    const engine = createEngine({ store, clock, stepTypes: [waitType(calls)] });
    const run = await engine.startRun({ segment: fanOut, input: { delays: BRANCHES.map(() => 5) } });
    await untilCalls(calls, 8);
    clock.advance(5);
    await eventOf(engine, run.runId, 'step.completed', 8);
    await engine.stop();
    // The batch was refused; each outcome then went alone, and only b3's failed again.
    expect(commits.map(branchCompletions).slice(2)).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 1]);
    const steps = await memory.getSteps('default', run.runId);
    const status = Object.fromEntries(steps.map((s) => [s.stepId, s.status]));
    // b3 still runs as far as the store knows (recovery runs it again); the join never started.
    expect(status.b3).toBe('running');
    expect(status.join).toBeUndefined();
    for (const b of BRANCHES.filter((b) => b !== 'b3')) expect(status[b], b).toBe('completed');
  });

  test('a crash at every commit of the fan-out loses nothing and runs no completed step again', async () => {
    const delays = BRANCHES.map(() => 5);
    const probe = await runFanOut(delays);
    const total = probe.commits.length;
    expect(total).toBe(4);
    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const memory = new MemoryStore();
        const clock = new ManualClock();
        const calls: Call[] = [];
        const crashing = new CrashingStore(memory, crashAt, mode);
        const first: Engine = createEngine({
          store: crashing.asStore(),
          clock,
          stepTypes: [waitType(calls)],
          leaseMs: 30,
          workerId: 'first',
        });
        await first.startRun({ segment: fanOut, input: { delays } }).catch(() => undefined);
        await untilCalls(calls, 8, () => crashing.dead);
        if (!crashing.dead) clock.advance(5);
        await crashing.died;
        await first.stop({ graceMs: 10 });
        const [stored] = (await memory.listRuns('default')).items;
        if (!stored) continue; // died before the run existed: nothing to recover
        const committed = (await memory.getSteps('default', stored.runId))
          .filter((s) => s.status === 'completed')
          .map((s) => s.stepId);
        const before = calls.length;
        clock.advance(31); // the dead worker's lease expires
        const second = createEngine({
          store: memory,
          clock,
          stepTypes: [waitType(calls)],
          leaseMs: 30,
          workerId: 'second',
        });
        const done = await driveOnClock(second, clock, stored.runId);
        await second.stop();
        const at = `${mode} commit ${crashAt}`;
        expect(done.status, at).toBe('completed');
        const events = await memory.listEvents('default', stored.runId);
        expect(
          events.map((e) => e.seq),
          at,
        ).toEqual(events.map((_, i) => i + 1));
        const completed = events.filter((e) => e.type === 'step.completed').map((e) => e.step_id);
        expect(completed.sort(), at).toEqual([...BRANCHES, 'join', 'split'].sort());
        // A step whose completion was committed never runs again; one in flight at the crash
        // runs again with the same idempotency key.
        const rerun = calls.slice(before).map((c) => c.stepId);
        for (const stepId of committed) expect(rerun, at).not.toContain(stepId);
        for (const b of BRANCHES)
          expect(new Set(calls.filter((c) => c.stepId === b).map((c) => c.key)).size, at).toBe(1);
      }
    }
  }, 60_000);
});
