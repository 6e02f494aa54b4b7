import { describe, expect, test } from 'vitest';
import type { WorktrailEvent } from '../store/types.js';
import { ManualClock } from '../util/clock.js';
import { createUlidGenerator } from '../util/ids.js';
import { LiveProgress, progressCursor } from './live-progress.js';

function hub() {
  const clock = new ManualClock();
  const progress = new LiveProgress(
    clock,
    createUlidGenerator(() => clock.now()),
  );
  const seen: WorktrailEvent[] = [];
  progress.onProgress((e) => seen.push(e));
  const data = () => seen.map((e) => e.data);
  return { clock, progress, seen, data };
}

describe('live progress', () => {
  test('sends the first piece at once, then at most one event per 50 ms, each carrying its text offset', () => {
    const { clock, progress, data, seen } = hub();
    progress.push('t', 'r', 's', { text: 'Hel', turn: 1 });
    expect(data()).toEqual([{ turn: 1, offset: 0, text: 'Hel' }]);
    progress.push('t', 'r', 's', { text: 'lo ', turn: 1 });
    clock.advance(49);
    expect(seen).toHaveLength(1);
    clock.advance(1);
    progress.push('t', 'r', 's', { text: 'wor', turn: 1 });
    progress.push('t', 'r', 's', { text: 'ld', turn: 1 });
    clock.advance(49);
    expect(seen).toHaveLength(2);
    clock.advance(1);
    expect(data()).toEqual([
      { turn: 1, offset: 0, text: 'Hel' },
      { turn: 1, offset: 3, text: 'lo ' },
      { turn: 1, offset: 6, text: 'world' },
    ]);
    // After a quiet window, the next piece goes out at once again.
    clock.advance(80);
    progress.push('t', 'r', 's', { text: '!', turn: 1 });
    expect(data().at(-1)).toEqual({ turn: 1, offset: 11, text: '!' });
    expect(seen.every((e) => e.seq === 0 && e.type === 'step.progress' && e.step_id === 's')).toBe(true);
  });

  test('done sends what is pending at once and forgets the partial text', () => {
    const { progress, data } = hub();
    progress.push('t', 'r', 's', { text: 'abc', turn: 2 });
    progress.push('t', 'r', 's', { done: true, turn: 2 });
    expect(data()).toEqual([{ turn: 2, offset: 0, text: 'abc' }]);
    expect(progress.size).toBe(0);
    expect(progress.snapshot('t', 'r')).toEqual([]);
  });

  test('a snapshot holds the partial text so far; reset drops it', () => {
    const { clock, progress, data } = hub();
    progress.push('t', 'r', 's', { text: 'draft', turn: 1 });
    expect(progress.snapshot('t', 'r').map((e) => e.data)).toEqual([
      { turn: 1, offset: 0, text: 'draft', snapshot: true },
    ]);
    expect(progress.snapshot('t', 'other')).toEqual([]);
    progress.push('t', 'r', 's', { reset: true, turn: 1 });
    clock.advance(100);
    expect(data()).toEqual([
      { turn: 1, offset: 0, text: 'draft' },
      { turn: 1, offset: 0, text: '', reset: true },
    ]);
    expect(progress.snapshot('t', 'r')).toEqual([]);
  });

  test('a subscriber cursor drops text it already has from a snapshot and trims overlaps', () => {
    const { clock, progress } = hub();
    const fresh = progressCursor();
    progress.push('t', 'r', 's', { text: 'abcdef', turn: 1 });
    const [snap] = progress.snapshot('t', 'r');
    expect(fresh(snap!)?.data).toMatchObject({ offset: 0, text: 'abcdef' });
    const live: WorktrailEvent[] = [];
    progress.onProgress((e) => live.push(e));
    progress.push('t', 'r', 's', { text: 'gh', turn: 1 });
    clock.advance(50);
    // The live event repeats what the snapshot had: only the new part is delivered.
    expect(fresh(live[0]!)?.data).toMatchObject({ offset: 6, text: 'gh' });
    expect(fresh(live[0]!)).toBeUndefined();
  });
});
