import {
  type Commit,
  type CommitResult,
  createEngine,
  defineStepType,
  type Engine,
  ManualClock,
  MemoryStore,
  type RunRecord,
  type SegmentDefinition,
  type StepStateRecord,
  type StepTypeDefinition,
  type Store,
  type WorktrailEvent,
} from '../index.js';

/** A step type that records each call and passes its input through. */
export function recorder(
  calls: Array<{ stepId: string; key: string; at: number }>,
  type = 'record',
  worker?: string,
): StepTypeDefinition {
  let counter = 0;
  return defineStepType({
    type,
    displayName: 'Record',
    category: 'UTILITY',
    configSchema: { type: 'object', properties: { delay_ms: { type: 'number' } } },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    dynamicPorts: true,
    async handler(ctx) {
      calls.push({ stepId: ctx.stepId, key: ctx.idempotencyKey, at: counter++ });
      const delay = (ctx.config as { delay_ms?: number }).delay_ms;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return {
        output: worker
          ? { from: ctx.stepId, worker, input: ctx.input }
          : { from: ctx.stepId, input: ctx.input },
      };
    },
  });
}

/** Builds a DAG segment of `record` steps: edge i -> j (i < j) where `edges` says so. */
export function dagSegment(
  id: string,
  size: number,
  edges: Array<[number, number]>,
  config: Record<string, unknown> = {},
): SegmentDefinition {
  const steps = Array.from({ length: size }, (_, i) => ({
    step_id: `n${i}`,
    step_type: 'record',
    config,
    inputs: [{ port_id: 'input' }],
  }));
  const seen = new Set<string>();
  const list = edges
    .filter(([a, b]) => a < b && b < size)
    .filter(([a, b]) => {
      if (seen.has(`${a}-${b}`)) return false;
      seen.add(`${a}-${b}`);
      return true;
    })
    .map(([a, b]) => ({ source_step: `n${a}`, target_step: `n${b}` }));
  return { segment_id: id, steps, edges: list };
}

/**
 * A store that dies at the N-th commit, like a process killed at that point: `before`
 * the commit is applied, or `after` it was applied but before the engine learns of it.
 * After that every call fails, as it would for a dead process.
 */
export class CrashingStore {
  commits = 0;
  dead = false;
  /** Resolves when the store dies. */
  readonly died: Promise<void>;
  private die!: () => void;
  constructor(
    readonly inner: MemoryStore,
    readonly crashAt: number,
    readonly mode: 'before' | 'after',
  ) {
    this.died = new Promise((r) => {
      this.die = r;
    });
  }

  asStore(): Store {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'commit') {
          return async (commit: Commit): Promise<CommitResult> => {
            if (this.dead) throw new Error('process is dead');
            this.commits++;
            if (this.commits === this.crashAt) {
              this.dead = true;
              // `died` resolves once the store holds all it ever will.
              if (this.mode === 'after') await target.commit(commit).finally(this.die);
              else this.die();
              throw new Error('killed');
            }
            return target.commit(commit);
          };
        }
        if (prop === 'subscribe' || prop === 'init' || prop === 'close') return value.bind(target);
        return (...args: unknown[]) => {
          if (this.dead) return Promise.reject(new Error('process is dead'));
          return value.apply(target, args);
        };
      },
    }) as Store;
  }
}

/** A waiting step driven from outside, as {@link crashAtEveryCommit} exercises it. */
export interface WaitingStepScenario {
  /** Step types the engines get besides `record`. */
  stepTypes: StepTypeDefinition[];
  /**
   * A segment `draft -> gate -> publish` (`draft` and `publish` of type `record`) whose
   * `gate` loops back to `draft` once.
   */
  segment: SegmentDefinition;
  /** Event type the gate's reminder timer appends once per wait. */
  reminderEvent: string;
  /** Answers the waiting gate from outside: send it back (`loop`) or let it pass (`pass`). */
  answer(engine: Engine, runId: string, gate: StepStateRecord, decision: 'loop' | 'pass'): Promise<void>;
}

/** Everything one scenario run observed. */
export interface ScenarioOutcome {
  run: RunRecord;
  events: WorktrailEvent[];
  calls: Array<{ stepId: string; key: string; at: number }>;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * Drives the scenario from whatever state the store holds, until the run ends: at each
 * wait of the gate, first lets its reminder fire (moving the clock), then answers it
 * (loop on the first pass, pass on the second). Any call may fail when the engine dies.
 */
async function driveScenario(
  engine: Engine,
  clock: ManualClock,
  runId: string,
  scenario: WaitingStepScenario,
): Promise<RunRecord> {
  const poll = () => (engine as unknown as { poll(): Promise<void> }).poll();
  for (let round = 0; round < 200; round++) {
    await poll();
    const run = await engine.store.getRun('default', runId);
    if (!run) throw new Error(`run ${runId} vanished`);
    if (TERMINAL.includes(run.status)) return run;
    const gate = (await engine.store.getSteps('default', runId)).find((s) => s.stepId === 'gate');
    if (gate?.status === 'waiting') {
      const events = await engine.store.listEvents('default', runId);
      const reminded = events.filter((e) => e.type === scenario.reminderEvent && e.step_id === 'gate').length;
      if (reminded < gate.iteration + 1) clock.advance(3600_000);
      else await scenario.answer(engine, runId, gate, gate.iteration === 0 ? 'loop' : 'pass');
      continue;
    }
    await engine.waitForRun(runId, { timeoutMs: 200 }).catch(() => undefined);
  }
  throw new Error(`run ${runId} did not finish`);
}

/**
 * Runs the scenario once per commit point and crash mode: the first engine's store dies at
 * commit N (`before` it applies, or `after` it applied but before the engine learns of it);
 * a second engine on the same data finishes the scenario. Returns every outcome, for the
 * caller's assertions. Time is a {@link ManualClock}: leases expire by moving it.
 */
export async function crashAtEveryCommit(
  scenario: WaitingStepScenario,
): Promise<Array<ScenarioOutcome & { label: string }>> {
  const make = (store: Store, clock: ManualClock, calls: ScenarioOutcome['calls'], workerId: string) =>
    createEngine({ store, clock, workerId, stepTypes: [recorder(calls), ...scenario.stepTypes] });
  const probe = new CrashingStore(new MemoryStore(), Number.POSITIVE_INFINITY, 'before');
  const probeClock = new ManualClock();
  const probeEngine = make(probe.asStore(), probeClock, [], 'probe');
  const probeRun = await probeEngine.startRun({ segment: scenario.segment, input: 1 });
  const finished = await driveScenario(probeEngine, probeClock, probeRun.runId, scenario);
  await probeEngine.stop();
  if (finished.status !== 'completed') throw new Error(`the scenario itself ends ${finished.status}`);
  const outcomes: Array<ScenarioOutcome & { label: string }> = [];
  for (const mode of ['before', 'after'] as const) {
    for (let crashAt = 1; crashAt <= probe.commits; crashAt++) {
      const memory = new MemoryStore();
      const clock = new ManualClock();
      const calls: ScenarioOutcome['calls'] = [];
      const crashing = new CrashingStore(memory, crashAt, mode);
      const first = make(crashing.asStore(), clock, calls, 'first');
      await first
        .startRun({ segment: scenario.segment, input: 1 })
        .then((run) => driveScenario(first, clock, run.runId, scenario))
        .catch(() => undefined);
      await first.stop({ graceMs: 10 });
      if (!crashing.dead) throw new Error(`commit ${crashAt} was never reached`);
      const [stored] = (await memory.listRuns('default')).items;
      if (!stored) continue; // died before the run existed: nothing to recover
      clock.advance(60_000); // the dead worker's leases expire
      const second = make(memory, clock, calls, 'second');
      const run = await driveScenario(second, clock, stored.runId, scenario);
      await second.stop();
      outcomes.push({
        label: `${mode} commit ${crashAt}`,
        run,
        events: await memory.listEvents('default', run.runId),
        calls,
      });
    }
  }
  return outcomes;
}

/**
 * Resolves with the `nth` event of `type` in a run's worktrail, stored or live: a wait on
 * what happened, never on how long it took.
 */
export async function eventOf(engine: Engine, runId: string, type: string, nth = 1): Promise<WorktrailEvent> {
  let seen = 0;
  for await (const event of engine.events(runId)) if (event.type === type && ++seen === nth) return event;
  throw new Error(`the worktrail of run ${runId} ended before ${nth} "${type}" events`);
}

/** A promise with its resolve function, for handlers that finish when a test says so. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Runs one poll of the engine's worker (timers due now, orphaned runs) and waits for it. */
export function pollOnce(engine: Engine): Promise<void> {
  return (engine as unknown as { poll(): Promise<void> }).poll();
}

/**
 * Drives a run on a manual clock until it ends: polls (claims, timers, recovery), then lets
 * a second pass on the clock, up to `rounds` times. Whatever the store holds is picked up,
 * so it also finishes runs a crashed engine left behind.
 */
export async function driveOnClock(
  engine: Engine,
  clock: ManualClock,
  runId: string,
  rounds = 400,
): Promise<RunRecord> {
  const ended: RunRecord['status'][] = ['completed', 'failed', 'cancelled'];
  for (let round = 0; round < rounds; round++) {
    await pollOnce(engine);
    const run = await engine.store.getRun('default', runId);
    if (!run) throw new Error(`run ${runId} vanished`);
    if (ended.includes(run.status)) return run;
    clock.advance(1000);
    await engine.waitForRun(runId, { until: ended, timeoutMs: 25 }).catch(() => undefined);
  }
  throw new Error(`run ${runId} did not finish`);
}
