import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorktrailEvent } from '@llmteam/core';
import { sampleInteraction, sampleRun, sampleStep } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-compact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (runId: string, seq: number, eventId: string): WorktrailEvent => ({
  event_id: eventId,
  tenant_id: 't1',
  run_id: runId,
  seq,
  type: 'step.completed',
  step_id: 'a',
  timestamp: `2026-01-01T00:00:0${seq}.000Z`,
  data: { seq },
});

const query = (store: SqliteStore, sql: string) =>
  (
    store as unknown as { dataSource: { query(s: string): Promise<Array<Record<string, unknown>>> } }
  ).dataSource.query(sql);

describe('rows that carry each value once', () => {
  test("keeps every event id, the engine's <run>.<seq> form and any other", async () => {
    const store = new SqliteStore({ path: join(dir, 'events.sqlite') });
    await store.init();
    try {
      const events = [event('r1', 1, 'r1.1'), event('r1', 2, 'custom-id'), event('r1', 3, 'r2.3')];
      await store.commit({
        tenantId: 't1',
        runId: 'r1',
        expectedVersion: 0,
        run: sampleRun('t1', 'r1', { lastSeq: 3 }),
        events,
      });
      expect((await store.listEvents('t1', 'r1')).map((e) => e.event_id)).toEqual([
        'r1.1',
        'custom-id',
        'r2.3',
      ]);
      expect((await store.queryEvents('t1', { runId: 'r1' })).items.map((e) => e.event_id)).toEqual([
        'r1.1',
        'custom-id',
        'r2.3',
      ]);
    } finally {
      await store.close();
    }
  });

  test('a step reads back whole, also from a row that still holds its key and status in `data`', async () => {
    const store = new SqliteStore({ path: join(dir, 'steps.sqlite') });
    await store.init();
    try {
      const step = sampleStep('t1', 'r1', 'a', {
        status: 'running',
        attempt: 2,
        startedAt: '2026-01-01T00:00:00.000Z',
      });
      await store.commit({
        tenantId: 't1',
        runId: 'r1',
        expectedVersion: 0,
        run: sampleRun('t1', 'r1', { lastSeq: 0 }),
        steps: [step],
      });
      expect(await store.getSteps('t1', 'r1')).toEqual([step]);
      // The row format before: the whole record in `data`.
      const { inputs: _i, outputs: _o, ...whole } = step;
      await query(store, `UPDATE step_states SET data = '${JSON.stringify(whole)}' WHERE step_id = 'a'`);
      expect(await store.getSteps('t1', 'r1')).toEqual([step]);
    } finally {
      await store.close();
    }
  });

  test('an interaction reads back whole, also from a row that still holds the whole record in `body`', async () => {
    const store = new SqliteStore({ path: join(dir, 'interactions.sqlite') });
    await store.init();
    try {
      const interaction = sampleInteraction('t1', 'r1', 'i1');
      await store.commit({
        tenantId: 't1',
        runId: 'r1',
        expectedVersion: 0,
        run: sampleRun('t1', 'r1', { lastSeq: 0 }),
        interactions: [interaction],
      });
      expect(await store.getInteraction('t1', 'i1')).toEqual(interaction);
      const [row] = await query(store, "SELECT body FROM interactions WHERE interaction_id = 'i1'");
      expect(String(row.body)).not.toContain('"runId"');
      await query(
        store,
        `UPDATE interactions SET body = '${JSON.stringify(interaction)}' WHERE interaction_id = 'i1'`,
      );
      expect(await store.getInteraction('t1', 'i1')).toEqual(interaction);
      expect(await store.listInteractions('t1', { runId: 'r1' })).toEqual([interaction]);
    } finally {
      await store.close();
    }
  });
});
