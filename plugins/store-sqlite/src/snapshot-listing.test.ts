import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advanceRun, sampleSnapshot, startRun } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-snapshots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;
const raw = (store: SqliteStore): Query => {
  const ds = (store as unknown as { dataSource: { query: Query } }).dataSource;
  return (sql, params) => ds.query(sql, params);
};

describe('SqliteStore snapshot listing', () => {
  test('a database from before the snapshot listing gains segment and label columns, its snapshots listed by segment', async () => {
    const path = join(dir, 'v2.sqlite');
    const old = new SqliteStore({ path });
    await old.init();
    const run = await startRun(old, 't1', 'run-1', { runOverrides: { segmentId: 'orders' } });
    const { segmentId: _dropped, ...legacy } = sampleSnapshot(run, [], 'snap-old');
    await advanceRun(old, run, 1, { snapshots: [legacy] });
    const [{ version }] = await raw(old)('SELECT version FROM llmteam_schema_version');
    // Back to the schema version before the snapshot listing.
    // This connection's commit trigger names the new columns: it goes first.
    await raw(old)('DROP TRIGGER temp.llmteam_commit_snapshots');
    await raw(old)('DROP INDEX snapshots_by_time');
    await raw(old)('DROP INDEX snapshots_by_segment');
    await raw(old)('ALTER TABLE snapshots DROP COLUMN label');
    await raw(old)('ALTER TABLE snapshots DROP COLUMN segment_id');
    await raw(old)('UPDATE llmteam_schema_version SET version = version - 1');
    await raw(old)(`DELETE FROM llmteam_migrations WHERE name = 'SnapshotListing1767571200000'`);
    await old.close();

    const store = new SqliteStore({ path });
    await store.init();
    try {
      expect((await raw(store)('SELECT version FROM llmteam_schema_version'))[0].version).toBe(version);
      const page = await store.querySnapshots('t1', { segmentId: 'orders' });
      expect(page.items.map((s) => [s.snapshotId, s.segmentId])).toEqual([['snap-old', 'orders']]);
      const plan = (
        await raw(store)(
          `EXPLAIN QUERY PLAN SELECT * FROM snapshots WHERE tenant_id = ? AND segment_id = ? ORDER BY created_at DESC, snapshot_id DESC LIMIT 2`,
          ['t1', 'orders'],
        )
      )
        .map((r) => String(r.detail))
        .join('\n');
      expect(plan).toContain('snapshots_by_segment');
      expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      await store.close();
    }
  });
});
