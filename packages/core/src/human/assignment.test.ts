import { describe, expect, test } from 'vitest';
import {
  createEngine,
  type DirectorySubject,
  type Engine,
  ManualClock,
  MemoryStore,
  OPEN_INTERACTION_STATUSES,
  type SegmentDefinition,
  type Store,
  staticDirectory,
} from '../index.js';

const team: DirectorySubject[] = [
  { subject: 'ann', groups: ['finance'], skills: ['de', 'tax'] },
  { subject: 'bob', groups: ['finance'], skills: ['en'] },
  { subject: 'cem', groups: ['finance'], skills: ['en', 'tax'] },
  { subject: 'dan', groups: ['sales'] },
];

function task(assignment: Record<string, unknown>): SegmentDefinition {
  return {
    segment_id: `assign_${String(assignment.strategy)}`,
    steps: [
      {
        step_id: 'review',
        step_type: 'human_task',
        config: { task_type: 'approval', title: 'Review', assignee_ref: 'group:finance', assignment },
      },
    ],
  };
}

function engineOn(store: Store): Engine {
  return createEngine({
    store,
    clock: new ManualClock(Date.parse('2026-05-01T08:00:00Z')),
    directory: staticDirectory(team),
  });
}

/** A small deterministic random source (LCG), so the test is the same every time. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

async function openBySubject(store: Store): Promise<Map<string, number>> {
  const open = await store.listInteractions('default', { status: [...OPEN_INTERACTION_STATUSES] });
  const counts = new Map<string, number>();
  for (const i of open) for (const u of i.assignees.users) counts.set(u, (counts.get(u) ?? 0) + 1);
  return counts;
}

describe('assignment strategies for group requests', () => {
  test('round-robin over 1,000 requests: every member within one of the others, in turn, and across a restart', async () => {
    const store = new MemoryStore();
    let engine = engineOn(store);
    const segment = task({ strategy: 'round_robin' });
    await engine.upsertSegment(segment);
    const picks: string[] = [];
    for (let i = 0; i < 1000; i++) {
      // A restart halfway: the next engine continues the turn from what was committed.
      if (i === 500) engine = engineOn(store);
      const run = await engine.startRun({ segmentId: segment.segment_id, input: { n: i } });
      await engine.waitForRun(run.runId, { until: ['waiting_human'] });
      const [request] = await store.listInteractions('default', { runId: run.runId });
      picks.push(request!.assignees.users[0]!);
      expect(request!.assignees).toEqual({ users: [picks[i]], groups: [] });
    }
    const counts = ['ann', 'bob', 'cem'].map((s) => picks.filter((p) => p === s).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b)).toBe(1000);
    // Strictly in turn, the restart included.
    for (const [i, p] of picks.entries()) expect(p, `request ${i}`).toBe(['ann', 'bob', 'cem'][i % 3]);
  }, 60_000);

  test('least-loaded over 1,000 requests never picks a busier member while a less busy one is free', async () => {
    const store = new MemoryStore();
    const engine = engineOn(store);
    const segment = task({ strategy: 'least_loaded' });
    await engine.upsertSegment(segment);
    const random = seeded(7);
    const finance = { subject: 'admin', roles: ['admin'] };
    for (let i = 0; i < 1000; i++) {
      // People answer some of their open requests, unevenly, between new requests.
      const open = await store.listInteractions('default', { status: [...OPEN_INTERACTION_STATUSES] });
      for (const r of open) {
        const pace = { ann: 0.5, bob: 0.2, cem: 0.05 }[r.assignees.users[0] as 'ann' | 'bob' | 'cem'];
        if (random() < pace) await engine.respond(r.interactionId, { action: 'approve', actor: finance });
      }
      const before = await openBySubject(store);
      const run = await engine.startRun({ segmentId: segment.segment_id, input: { n: i } });
      await engine.waitForRun(run.runId, { until: ['waiting_human'] });
      const [request] = await store.listInteractions('default', { runId: run.runId });
      const chosen = request!.assignees.users[0]!;
      const least = Math.min(...['ann', 'bob', 'cem'].map((s) => before.get(s) ?? 0));
      expect(before.get(chosen) ?? 0, `request ${i} went to ${chosen}`).toBe(least);
    }
    // The fast member got more requests than the slow one: the load decided, not the turn.
    const all = await store.listInteractions('default');
    const given = (s: string) => all.filter((r) => r.assignees.users[0] === s).length;
    expect(all).toHaveLength(1000);
    expect(given('ann')).toBeGreaterThan(given('cem'));
  }, 120_000);

  test('capability: only members with every skill are chosen; the choice is an event and only they may answer', async () => {
    const store = new MemoryStore();
    const engine = engineOn(store);
    const segment = task({ strategy: 'capability', skills: ['tax'] });
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const run = await engine.startRun({ segment, input: { n: i } });
      await engine.waitForRun(run.runId, { until: ['waiting_human'] });
      const events = await store.listEvents('default', run.runId);
      const assigned = events.find((e) => e.type === 'interaction.assigned');
      expect(assigned?.data).toMatchObject({ strategy: 'capability', group: 'finance', candidates: 2 });
      picks.push(String(assigned?.data.subject));
    }
    expect(picks).toEqual(['ann', 'cem', 'ann', 'cem']);
    const [request] = await store.listInteractions('default', { status: 'pending' });
    const other = request!.assignees.users[0] === 'ann' ? 'cem' : 'ann';
    await expect(
      engine.respond(request!.interactionId, {
        action: 'approve',
        actor: { subject: other, groups: ['finance'] },
      }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
  });

  test('no member with the skills fails the step with LLMT_E_NO_ASSIGNEE naming the field', async () => {
    const engine = engineOn(new MemoryStore());
    const run = await engine.startRun({
      segment: task({ strategy: 'capability', skills: ['fr'] }),
      input: {},
    });
    const done = await engine.waitForRun(run.runId, { until: ['failed', 'completed'] });
    expect(done.error).toMatchObject({ code: 'LLMT_E_NO_ASSIGNEE' });
    expect(done.error?.message).toContain('step "review", config.assignment.skills');
  });

  test('validation: an assignment needs a group assignee', () => {
    const engine = engineOn(new MemoryStore());
    const segment = task({ strategy: 'round_robin' });
    segment.steps[0]!.config!.assignee_ref = 'ann';
    expect(engine.validate(segment).problems).toEqual([
      expect.objectContaining({ path: '$.steps[0].config.assignee_ref', code: 'invalid_step' }),
    ]);
  });
});
