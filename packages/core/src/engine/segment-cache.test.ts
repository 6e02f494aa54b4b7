import { describe, expect, test } from 'vitest';
import { createEngine, ManualClock, MemoryStore, type SegmentDefinition } from '../index.js';

const version = (v: string, expression: string): SegmentDefinition => ({
  segment_id: 'cached',
  version: v,
  steps: [{ step_id: 'only', step_type: 'transform', config: { expression } }],
  edges: [],
});

describe('the latest segment version a start uses', () => {
  test("is this engine's own upsert at once, another process's after segmentCacheMs", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const engine = createEngine({ store, clock, segmentCacheMs: 1000 });
    const other = createEngine({ store, clock });
    const startedOn = async () => {
      const run = await engine.startRun({ segmentId: 'cached', input: 1 });
      return (await engine.waitForRun(run.runId)).segmentVersion;
    };
    await engine.upsertSegment(version('1.0.0', '$ + 1'));
    expect(await startedOn()).toBe('1.0.0');
    await engine.upsertSegment(version('1.1.0', '$ + 2'));
    expect(await startedOn()).toBe('1.1.0');
    // Stored by another engine: seen once the cached answer is older than segmentCacheMs.
    await other.upsertSegment(version('2.0.0', '$ + 3'));
    expect(await startedOn()).toBe('1.1.0');
    clock.advance(1000);
    expect(await startedOn()).toBe('2.0.0');
  });

  test('a version asked for by name is the one used, and an unknown one is refused', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await engine.upsertSegment(version('1.0.0', '$ + 1'));
    await engine.upsertSegment(version('1.1.0', '$ + 2'));
    const run = await engine.startRun({ segmentId: 'cached', version: '1.0.0', input: 1 });
    expect((await engine.waitForRun(run.runId)).outputs).toEqual({ only: 2 });
    await expect(engine.startRun({ segmentId: 'cached', version: '9.9.9' })).rejects.toMatchObject({
      code: 'LLMT_E_SEGMENT_NOT_FOUND',
    });
  });
});
