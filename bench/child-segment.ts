/**
 * What a `segment` step costs on the SQLite store (a file on disk, synchronous FULL).
 *
 * - `plainStepUs`: one `transform` step of a chain (one commit: it completes and the next
 *   starts), from a 10-step chain minus a 1-step run of the same kind.
 * - `childStartUs`: one step that starts a child run (`ctx.children.start`, the child's
 *   creation and start commits) and completes, measured the same way; the child has one
 *   step, which runs concurrently and is not counted. Target: `startRatio` < 2.
 * - `childStepUs`: a whole `segment` step, the child's one step, its end and the parent
 *   finishing included (for reference).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, defineStepType, type Engine, type SegmentDefinition } from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';

const starter = defineStepType({
  type: 'bench_start_child',
  displayName: 'Start a child run',
  category: 'CONTROL',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  async handler(ctx) {
    const child = await ctx.children.start({ segmentId: 'leaf', version: '1.0.0', input: ctx.input });
    return { output: child.runId };
  },
});

function chain(id: string, length: number, step: Record<string, unknown>): SegmentDefinition {
  const steps = Array.from(
    { length },
    (_, i) => ({ ...step, step_id: `s${i}` }) as SegmentDefinition['steps'][number],
  );
  const edges = steps.slice(1).map((s, i) => ({ source_step: `s${i}`, target_step: s.step_id }));
  return { segment_id: id, version: '1.0.0', steps, edges };
}

/** Mean wall microseconds of `runs` runs of a segment. */
async function perRun(engine: Engine, segmentId: string, runs: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    const run = await engine.startRun({ segmentId, input: { n: i } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 60_000 });
    if (done.status !== 'completed') throw new Error(`${segmentId} ended ${done.status}`);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / runs;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-child-'));
  const store = new SqliteStore({ path: join(dir, 'bench.sqlite') });
  const engine = createEngine({ store, stepTypes: [starter] });
  try {
    await engine.upsertSegment(chain('leaf', 1, { step_type: 'transform', config: { expression: 'n' } }));
    const kinds = {
      plain: { step_type: 'transform', config: { expression: '$' } },
      start: { step_type: 'bench_start_child' },
      child: { step_type: 'segment', config: { segment_id: 'leaf', version: '1.0.0', input: '$' } },
    };
    for (const [name, step] of Object.entries(kinds)) {
      await engine.upsertSegment(chain(`${name}_1`, 1, step));
      await engine.upsertSegment(chain(`${name}_10`, 10, step));
    }
    const perStep = async (name: string, runs: number) => {
      await perRun(engine, `${name}_10`, 3);
      const rounds: number[] = [];
      // Interleaved rounds, so drift on a shared machine hits every kind alike.
      for (let round = 0; round < 3; round++) {
        const long = await perRun(engine, `${name}_10`, runs);
        const short = await perRun(engine, `${name}_1`, runs);
        rounds.push((long - short) / 9);
      }
      rounds.sort((a, b) => a - b);
      return rounds[1]!;
    };
    const plainStepUs = await perStep('plain', 20);
    const childStartUs = await perStep('start', 20);
    const childStepUs = await perStep('child', 10);
    return {
      plainStepUs: Math.round(plainStepUs),
      childStartUs: Math.round(childStartUs),
      childStepUs: Math.round(childStepUs),
      startRatio: Math.round((childStartUs / plainStepUs) * 100) / 100,
      stepRatio: Math.round((childStepUs / plainStepUs) * 100) / 100,
      target: { startRatio: '< 2' },
    };
  } finally {
    await engine.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
