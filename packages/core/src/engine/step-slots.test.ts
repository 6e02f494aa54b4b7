import { describe, expect, test } from 'vitest';
import { type StepSlot, StepSlots } from './step-slots.js';

/** A slot of `tenantId` that records its grant in `log`. */
function slot(tenantId: string, log: string[], name: string): StepSlot {
  return { tenantId, state: 'waiting', granted: () => log.push(name) };
}

describe('StepSlots', () => {
  test('starts steps at once up to the limit, then queues them in the order they came', () => {
    const slots = new StepSlots(2);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => slot('t', log, n));
    expect([a, b, c, d].map((s) => slots.take(s!))).toEqual([true, true, false, false]);
    expect(slots.usage()).toEqual({ t: { running: 2, waiting: 2 } });
    slots.release(a!);
    expect(log).toEqual(['c']);
    slots.release(b!);
    expect(log).toEqual(['c', 'd']);
    slots.release(c!);
    slots.release(d!);
    expect(slots.usage()).toEqual({});
  });

  test("starts a quiet tenant's step at once while a busy tenant fills every slot and waits", () => {
    const slots = new StepSlots(4);
    const log: string[] = [];
    const noisy = Array.from({ length: 100 }, (_, i) => slot('noisy', log, `n${i}`));
    for (const s of noisy) slots.take(s);
    expect(slots.usage().noisy).toEqual({ running: 4, waiting: 96 });
    const quiet = slot('quiet', log, 'q');
    expect(slots.take(quiet)).toBe(true);
    expect(slots.usage().quiet).toEqual({ running: 1, waiting: 0 });
    // Over the limit by the quiet step: the next freed noisy slot is not handed on.
    slots.release(noisy[0]!);
    expect(log).toEqual([]);
    slots.release(noisy[1]!);
    expect(log).toEqual(['n4']);
    expect(slots.usage().noisy).toEqual({ running: 3, waiting: 95 });
    // The quiet tenant leaves: the busy one gets the whole engine back.
    slots.release(quiet);
    expect(log).toEqual(['n4', 'n5']);
    expect(slots.usage()).toEqual({ noisy: { running: 4, waiting: 94 } });
  });

  test('hands freed slots to the waiting tenant that holds the fewest, in turn on a tie', () => {
    const slots = new StepSlots(2);
    const log: string[] = [];
    const a = Array.from({ length: 4 }, (_, i) => slot('a', log, `a${i}`));
    const b = Array.from({ length: 4 }, (_, i) => slot('b', log, `b${i}`));
    const c = Array.from({ length: 4 }, (_, i) => slot('c', log, `c${i}`));
    for (const s of a) slots.take(s);
    // Share 1 each with three tenants: b and c start one step each at once.
    for (const s of b) slots.take(s);
    for (const s of c) slots.take(s);
    expect(slots.usage()).toEqual({
      a: { running: 2, waiting: 2 },
      b: { running: 1, waiting: 3 },
      c: { running: 1, waiting: 3 },
    });
    slots.release(a[0]!);
    expect(log).toEqual([]);
    // A tenant below its share of one gets the next freed slot, whatever the total.
    slots.release(a[1]!);
    expect(log).toEqual(['a2']);
    slots.release(b[0]!);
    slots.release(c[0]!);
    expect(log).toEqual(['a2', 'b1', 'c1']);
    expect(slots.usage()).toEqual({
      a: { running: 1, waiting: 1 },
      b: { running: 1, waiting: 2 },
      c: { running: 1, waiting: 2 },
    });
  });

  test('a waiting step that leaves the queue is never granted and frees nothing', () => {
    const slots = new StepSlots(1);
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => slot('t', log, n));
    slots.take(a!);
    slots.take(b!);
    slots.take(c!);
    expect(slots.release(b!)).toBe(true);
    expect(slots.release(a!)).toBe(false);
    expect(log).toEqual(['c']);
    expect(slots.release(b!)).toBe(false);
    expect(slots.usage()).toEqual({ t: { running: 1, waiting: 0 } });
  });

  test('flush grants every waiting slot whatever the limit', () => {
    const slots = new StepSlots(1);
    const log: string[] = [];
    for (const n of ['a', 'b', 'c']) slots.take(slot('t', log, n));
    slots.flush();
    expect(log).toEqual(['b', 'c']);
    expect(slots.usage()).toEqual({ t: { running: 3, waiting: 0 } });
  });

  test('refuses a limit that is not a whole number of 1 or more', () => {
    for (const max of [0, -1, 1.5, Number.NaN])
      expect(() => new StepSlots(max)).toThrow(/maxConcurrentSteps/);
    expect(new StepSlots(Number.POSITIVE_INFINITY).max).toBe(Number.POSITIVE_INFINITY);
  });
});
