import { describe, expect, test } from 'vitest';
import { createEngine, MemoryStore, type SegmentDefinition } from '../../index.js';

/**
 * split -> a, b, c -> join: each branch is a `condition` on the input's flag of the same
 * name, whose `true` port feeds the join; `false` leaves the branch untaken. Branch `c` may
 * instead wait for a person (`human_c`), to hold it open.
 */
function joinSegment(mode: 'all' | 'any' | number, options: { humanC?: boolean } = {}): SegmentDefinition {
  const branches = ['a', 'b', 'c'];
  return {
    segment_id: `join_${mode}${options.humanC ? '_human' : ''}`,
    steps: [
      { step_id: 'split', step_type: 'parallel_split', outputs: branches.map((port_id) => ({ port_id })) },
      ...branches.map((b) =>
        b === 'c' && options.humanC
          ? {
              step_id: 'c',
              step_type: 'human_task',
              config: { task_type: 'approval', title: 'c?' },
              outputs: [{ port_id: 'approved' }, { port_id: 'rejected' }],
            }
          : { step_id: b, step_type: 'condition', config: { expression: b } },
      ),
      {
        step_id: 'join',
        step_type: 'parallel_join',
        inputs: branches.map((port_id) => ({ port_id })),
        config: { mode },
      },
    ],
    edges: [
      ...branches.map((b) => ({ source_step: 'split', source_port: b, target_step: b })),
      ...branches.map((b) => ({
        source_step: b,
        source_port: b === 'c' && options.humanC ? 'approved' : 'true',
        target_step: 'join',
        target_port: b,
      })),
    ],
  };
}

async function run(mode: 'all' | 'any' | number, input: Record<string, boolean>, options = {}) {
  const engine = createEngine({ store: new MemoryStore() });
  const started = await engine.startRun({ segment: joinSegment(mode, options), input });
  const done = await engine.waitForRun(started.runId);
  const join = (await engine.getRun(started.runId))!.steps.find((s) => s.stepId === 'join');
  return { engine, done, join };
}

describe('parallel_join and untaken branches', () => {
  test('all: every branch taken gathers every port', async () => {
    const { done } = await run('all', { a: true, b: true, c: true });
    expect(done.status).toBe('completed');
    expect(Object.keys(done.outputs!.join as object).sort()).toEqual(['a', 'b', 'c']);
  });

  test('all: one untaken branch fails the join with LLMT_E_JOIN_INCOMPLETE naming it', async () => {
    const { done, join } = await run('all', { a: true, b: false, c: true });
    expect(done.status).toBe('failed');
    expect(join!.error!.code).toBe('LLMT_E_JOIN_INCOMPLETE');
    expect((join!.error!.details as { missing: string[] }).missing).toContain('b');
    expect(done.error!.message).toContain('as a branch was not taken');
  });

  test('all: fails as soon as a branch is untaken, without waiting for the branches still open', async () => {
    const { engine, done, join } = await run('all', { a: false, b: true }, { humanC: true });
    expect(done.status).toBe('failed');
    expect(join!.error?.code).toBe('LLMT_E_JOIN_INCOMPLETE');
    const [request] = await engine.listInteractions({ runId: done.runId });
    expect(request!.status).toBe('cancelled');
  });

  test('any: goes on with what arrived; untaken branches are left out of the output', async () => {
    const { done } = await run('any', { a: false, b: true, c: false });
    expect(done.status).toBe('completed');
    expect(Object.keys(done.outputs!.join as object)).toEqual(['b']);
  });

  test('N: completes with N arrived and fails once N can no longer arrive', async () => {
    const two = await run(2, { a: true, b: false, c: true });
    expect(two.done.status).toBe('completed');
    expect(Object.keys(two.done.outputs!.join as object).sort()).toEqual(['a', 'c']);
    const short = await run(2, { a: true, b: false, c: false });
    expect(short.done.status).toBe('failed');
    expect(short.join!.error).toMatchObject({
      code: 'LLMT_E_JOIN_INCOMPLETE',
      details: { arrived: ['a'], missing: ['b', 'c'] },
    });
  });

  test('every mode: a join whose every branch is untaken is skipped and the run still completes', async () => {
    for (const mode of ['all', 'any', 2] as const) {
      const { done, join } = await run(mode, { a: false, b: false, c: false });
      expect(join!.status).toBe('skipped');
      expect(done.status).toBe('completed');
    }
  });
});
