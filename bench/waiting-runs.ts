/**
 * Helpers of the benchmarks whose runs wait for a person (no `run()`: the runner skips this
 * file): starting many runs until each waits, and the heap after a full collection.
 */
import type { Engine } from '@llmteam/core';

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap in use after collecting garbage (run node with `--expose-gc`; without it, as it is). */
export async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Options of {@link startWaiting}. */
export interface StartWaitingOptions {
  segmentId: string;
  count: number;
  /** Runs started at once. @default 200 */
  inFlight?: number;
  /** Input `n` of the first run. @default 0 */
  from?: number;
  /** Pause after the last request, so released drivers give their leases back. @default 50 */
  settleMs?: number;
}

/** Starts `count` runs of a segment and resolves with their ids once each one waits for a person. */
export async function startWaiting(engine: Engine, options: StartWaitingOptions): Promise<string[]> {
  const { segmentId, count, inFlight = 200, from = 0, settleMs = 50 } = options;
  const ids: string[] = [];
  const waiting = new Set<string>();
  let done!: () => void;
  const all = new Promise<void>((r) => {
    done = r;
  });
  const off = engine.onEvent(
    (e) => {
      waiting.add(e.run_id);
      if (waiting.size === count) done();
    },
    { types: ['interaction.requested'] },
  );
  for (let i = 0; i < count; i += inFlight) {
    const started = await Promise.all(
      Array.from({ length: Math.min(inFlight, count - i) }, (_, j) =>
        engine.startRun({ segmentId, input: { n: from + i + j } }),
      ),
    );
    for (const r of started) ids.push(r.runId);
  }
  await all;
  off();
  await new Promise((r) => setTimeout(r, settleMs));
  return ids;
}
