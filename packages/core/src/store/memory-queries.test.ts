import { describe, expect, test } from 'vitest';
import { selectInteractions } from './memory-queries.js';
import { type InteractionRecord, interactionDueKey } from './types.js';

function interaction(n: number): InteractionRecord {
  // Deadlines out of creation order, some requests without one, a few closed.
  const hours = (n * 7919) % 97;
  return {
    interactionId: `i-${String(n).padStart(4, '0')}`,
    tenantId: n % 13 === 0 ? 'other' : 't',
    runId: `run-${n % 5}`,
    stepId: 'approve',
    type: 'approval',
    status: n % 11 === 0 ? 'completed' : 'pending',
    priority: 'normal',
    title: `Request ${n}`,
    assignees: { users: [], groups: ['finance'] },
    escalationLevel: 0,
    revision: 0,
    responses: [],
    settings: {},
    ...(n % 9 === 0 ? {} : { deadline: new Date(Date.UTC(2026, 0, 1, hours)).toISOString() }),
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  };
}

describe('selectInteractions in due order', () => {
  const all = Array.from({ length: 1000 }, (_v, i) => interaction(i));
  const expected = all
    .filter((i) => i.tenantId === 't' && i.status !== 'completed')
    .map((i) => [interactionDueKey(i), i.interactionId] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, id]) => id);

  test('pages of a few of many open requests come out as the whole list sorted, cut in pages', () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = selectInteractions(all, 't', { order: 'due', limit: 25, ...(after ? { after } : {}) });
      seen.push(...page.map((i) => i.interactionId));
      if (page.length < 25) break;
      after = interactionDueKey(page[page.length - 1] as InteractionRecord);
    }
    expect(seen).toEqual(expected);
  });

  test('a limit near the number of open requests and no limit give the same order', () => {
    expect(selectInteractions(all, 't', { order: 'due' }).map((i) => i.interactionId)).toEqual(expected);
    expect(
      selectInteractions(all, 't', { order: 'due', limit: expected.length - 1 }).map((i) => i.interactionId),
    ).toEqual(expected.slice(0, -1));
    expect(selectInteractions(all, 't', { order: 'due', limit: 0 })).toEqual([]);
  });
});
