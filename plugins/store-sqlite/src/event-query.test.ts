import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvent, startRun } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `db-${++n}.sqlite`);

type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;
const raw = (store: SqliteStore): Query => {
  const ds = (store as unknown as { dataSource: { query: Query } }).dataSource;
  return (sql, params) => ds.query(sql, params);
};

describe('SqliteStore event queries', () => {
  test('a database of schema version 1 gains the event query indexes when opened, its events kept', async () => {
    const path = fresh();
    const old = new SqliteStore({ path });
    await old.init();
    await startRun(old, 't1', 'run-1', {
      events: [
        sampleEvent('t1', 'run-1', 1, 'run.started'),
        sampleEvent('t1', 'run-1', 2, 'step.completed', 's'),
      ],
    });
    // Back to what version 1 created (dropping what the snapshot listing and event query migrations added).
    // This connection's commit trigger names the new columns: it goes first.
    await raw(old)('DROP TRIGGER temp.llmteam_commit_snapshots');
    await raw(old)('DROP INDEX snapshots_by_time');
    await raw(old)('DROP INDEX snapshots_by_segment');
    await raw(old)('ALTER TABLE snapshots DROP COLUMN label');
    await raw(old)('ALTER TABLE snapshots DROP COLUMN segment_id');
    await raw(old)(`DELETE FROM llmteam_migrations WHERE name = 'SnapshotListing1767571200000'`);
    await raw(old)('DROP INDEX events_by_type');
    await raw(old)('DROP INDEX events_by_time');
    await raw(old)('UPDATE llmteam_schema_version SET version = 1');
    await raw(old)(`DELETE FROM llmteam_migrations WHERE name = 'EventQueryIndexes1767312000000'`);
    await old.close();

    const store = new SqliteStore({ path });
    await store.init();
    try {
      expect((await raw(store)('SELECT version FROM llmteam_schema_version'))[0].version).toBe(3);
      const indexes = (
        await raw(store)(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`)
      ).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['events_by_type', 'events_by_time']));
      const page = await store.queryEvents('t1', { types: ['step.completed'] });
      expect(page.items.map((e) => `${e.run_id}:${e.seq}:${e.step_id}`)).toEqual(['run-1:2:s']);
    } finally {
      await store.close();
    }
  });

  test('a page by type or by time reads an index in page order: no scan of the table, no sort', async () => {
    const store = new SqliteStore({ path: fresh() });
    await store.init();
    try {
      const plan = async (query: Parameters<SqliteStore['queryEvents']>[1]) => {
        const { eventQuerySql } = await import('@llmteam/store-sql');
        const { normalizeEventQuery } = await import('@llmteam/core');
        const { sql, params } = eventQuerySql('t1', normalizeEventQuery(query));
        return (await raw(store)(`EXPLAIN QUERY PLAN ${sql}`, params))
          .map((r) => String(r.detail))
          .join('\n');
      };
      const byType = await plan({ types: ['step.completed'], after: undefined });
      expect(byType).toContain('events_by_type');
      expect(byType).not.toContain('TEMP B-TREE');
      const byTime = await plan({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' });
      expect(byTime).toContain('events_by_time');
      expect(byTime).not.toContain('TEMP B-TREE');
    } finally {
      await store.close();
    }
  });
});
