import { LlmteamError } from '../errors.js';
import type { InteractionRecord, RunRecord, RunStatus } from '../store/types.js';
import { OPEN_INTERACTION_STATUSES, TERMINAL_RUN_STATUSES, WAITING_RUN_STATUSES } from '../store/types.js';
import type { RunDriver } from './run-driver.js';
import { DEFAULT_WAIT_OPTIONS, type StartRunOptions, type WaitingOn, type WaitOptions } from './types.js';

/** Options of `engine.invoke`: those of `startRun` (but the segment and input), and how long to wait. */
export interface InvokeOptions extends Omit<StartRunOptions, 'segmentId' | 'segment' | 'input'> {
  /** How long to wait for the run to end or wait, before `LLMT_E_TIMEOUT`, in ms. @default 30000 */
  timeoutMs?: number;
}

/** What `engine.invoke` returns once the run ended or waits. */
export interface InvokeResult {
  runId: string;
  /** A terminal status, a waiting one or `paused`. */
  status: RunStatus;
  /** The run's outputs (completed runs), keyed by terminal step id. */
  outputs?: Record<string, unknown>;
  /** Why the run failed. */
  error?: RunRecord['error'];
  /** What the run waits on: its open requests (those of its child runs too). Empty when it ended. */
  waitingOn: { interactions: InteractionRecord[] };
  /** The run header as it was committed. */
  run: RunRecord;
}

/** What `invokeRun` needs of the engine. */
export interface InvokeHost {
  /** Starts the run; `driver` when this process runs it. */
  start(): Promise<{ run: RunRecord; driver?: RunDriver }>;
  waitForRun(runId: string, options: WaitOptions): Promise<RunRecord>;
  waitingOn(runId: string): Promise<WaitingOn>;
}

const SETTLED = new Set<RunStatus>([...TERMINAL_RUN_STATUSES, ...WAITING_RUN_STATUSES, 'paused']);

/**
 * Starts a run and returns when it ends or waits. A run this process drives is watched in
 * memory (its driver's committed state): nothing is read back from the store, however large
 * its outputs, and the open requests are those its commits made. A run another worker took
 * over is waited for through the store, as `waitForRun` does.
 */
export async function invokeRun(host: InvokeHost, options: InvokeOptions): Promise<InvokeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_OPTIONS.timeoutMs;
  const { run, driver } = await host.start();
  const here = driver ? await settledHere(driver, timeoutMs) : undefined;
  const settled = here ?? (SETTLED.has(run.status) ? run : await host.waitForRun(run.runId, { timeoutMs }));
  let interactions: InteractionRecord[] = [];
  if (settled.status.startsWith('waiting_')) {
    const known = here && driver ? openRequests(driver, settled.runId) : [];
    // Requests of child runs (or of a run that went on elsewhere) are read from the store.
    interactions = known.length ? known : (await host.waitingOn(settled.runId)).interactions;
  }
  return {
    runId: settled.runId,
    status: settled.status,
    ...(settled.outputs !== undefined ? { outputs: settled.outputs } : {}),
    ...(settled.error !== undefined ? { error: settled.error } : {}),
    waitingOn: { interactions },
    run: settled,
  };
}

/** The driver's committed run once it ends or waits; undefined when the run went to another worker. */
function settledHere(driver: RunDriver, timeoutMs: number): Promise<RunRecord | undefined> {
  if (driver.lost) return Promise.resolve(undefined);
  if (SETTLED.has(driver.run.status)) return Promise.resolve(driver.run);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new LlmteamError(
          'LLMT_E_TIMEOUT',
          `run "${driver.runId}" did not end or wait within ${timeoutMs} ms; raise invoke's timeoutMs, or follow it with waitForRun`,
        ),
      );
    }, timeoutMs);
    const off = driver.watch(() => {
      const lost = driver.lost;
      if (!lost && !SETTLED.has(driver.run.status)) return;
      clearTimeout(timer);
      off();
      resolve(lost ? undefined : driver.run);
    });
  });
}

function openRequests(driver: RunDriver, runId: string): InteractionRecord[] {
  const open: InteractionRecord[] = [];
  for (const i of driver.interactions.values())
    if (i.runId === runId && OPEN_INTERACTION_STATUSES.includes(i.status)) open.push(i);
  return open;
}
