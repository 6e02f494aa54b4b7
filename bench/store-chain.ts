/**
 * Shared parts of the store benchmarks (no `run()`: the runner skips this file). A
 * "chain" is what the engine commits for a run of N steps in a row: one commit creating
 * the run, then one commit per step that updates the run header, upserts the completed
 * step and the next one, and appends two events.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RunRecord, StepStateRecord, Store, WorktrailEvent } from '@llmteam/core';

/** Options of {@link persistChain}. */
export interface ChainOptions {
  steps: number;
  /** The value step `i` outputs. */
  output(i: number): unknown;
  /** Receives the duration of each step commit, in ms. */
  timings?: number[];
}

/** Commits one run of a chain of steps, the way the engine does: one commit per step. */
export async function persistChain(
  store: Store,
  tenantId: string,
  runId: string,
  options: ChainOptions,
): Promise<void> {
  const now = () => new Date().toISOString();
  const event = (seq: number, type: string, stepId?: string): WorktrailEvent => ({
    event_id: `${runId}.${seq}`,
    tenant_id: tenantId,
    run_id: runId,
    seq,
    type,
    ...(stepId ? { step_id: stepId } : {}),
    timestamp: now(),
    data: stepId ? { attempt: 1 } : {},
  });
  const step = (
    i: number,
    status: StepStateRecord['status'],
    inputs: unknown,
    outputs?: unknown,
  ): StepStateRecord => ({
    tenantId,
    runId,
    stepId: `s${i}`,
    status,
    attempt: 1,
    iterationAttempts: 1,
    iteration: 0,
    inputs: { input: inputs },
    ...(outputs === undefined ? {} : { outputs: { output: outputs } }),
    startedAt: now(),
    ...(outputs === undefined ? {} : { finishedAt: now() }),
  });
  const input = { topic: 'bench', n: 1 };
  let run: RunRecord = {
    runId,
    tenantId,
    segmentId: 'bench_chain',
    segmentVersion: '1.0.0',
    status: 'running',
    input,
    version: 1,
    lastSeq: 2,
    stepsCompleted: 0,
    createdAt: now(),
    updatedAt: now(),
  };
  await store.commit({
    tenantId,
    runId,
    expectedVersion: 0,
    run,
    steps: [step(0, 'running', input)],
    events: [event(1, 'run.created'), event(2, 'step.started', 's0')],
  });
  let previous: unknown = input;
  for (let i = 0; i < options.steps; i++) {
    const out = options.output(i);
    const last = i === options.steps - 1;
    const next: RunRecord = {
      ...run,
      version: run.version + 1,
      lastSeq: run.lastSeq + 2,
      stepsCompleted: i + 1,
      updatedAt: now(),
      ...(last
        ? { status: 'completed' as const, completedAt: now(), outputs: { [`s${i}`]: { output: out } } }
        : {}),
    };
    const steps = [step(i, 'completed', previous, out), ...(last ? [] : [step(i + 1, 'running', out)])];
    const events = [
      event(run.lastSeq + 1, 'step.completed', `s${i}`),
      last ? event(run.lastSeq + 2, 'run.completed') : event(run.lastSeq + 2, 'step.started', `s${i + 1}`),
    ];
    const t0 = performance.now();
    await store.commit({ tenantId, runId, expectedVersion: run.version, run: next, steps, events });
    options.timings?.push(performance.now() - t0);
    run = next;
    previous = out;
  }
}

/** A small step output, like a transform's. */
export const smallOutput = (i: number): unknown => ({ value: i, note: 'done' });

/** A 100 KB output that does not compress (random base64), so sizes are honest. */
export function largeOutput(): unknown {
  return randomBytes(75_000).toString('base64');
}

/** JSON length of a step's output value: what "the sum of outputs" counts. */
export function outputBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Mean of a list. */
export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** Rounds to 2 decimals for the JSON report. */
export function r2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Times `count` calls of `fn`, returning microseconds per call. */
export async function timeEach(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return ((performance.now() - t0) * 1000) / count;
}

/** The store's own transaction, for the bare-INSERT baseline on the same connection path. */
export function storeTransaction(store: Store): (sql: string, params: unknown[]) => Promise<unknown> {
  const s = store as unknown as {
    transaction(
      fn: (tx: { exec(sql: string, params?: unknown[]): Promise<unknown> }) => Promise<unknown>,
    ): Promise<unknown>;
  };
  return (sql, params) => s.transaction((tx) => tx.exec(sql, params));
}

/**
 * Counts the statements the store sends to SQLite (its one connection): commits, reads,
 * leases and `PRAGMA synchronous` switches alike.
 */
export function countStatements(store: Store): () => number {
  type Exec = { exec(sql: string, params?: readonly unknown[]): Promise<unknown> };
  const s = store as unknown as { connection(): Exec };
  const connection = s.connection.bind(store);
  let count = 0;
  s.connection = () => {
    const c = connection();
    return new Proxy(c, {
      get: (target, key, receiver) =>
        key === 'exec'
          ? (sql: string, params?: readonly unknown[]) => {
              count++;
              return target.exec(sql, params);
            }
          : Reflect.get(target, key, receiver),
    });
  };
  return () => count;
}
