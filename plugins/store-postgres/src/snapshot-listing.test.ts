import { advanceRun, sampleSnapshot, startRun } from '@llmteam/testkit';
import { Client } from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const reachable = await postgresReachable();
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

describe.skipIf(!reachable)('PostgresStore snapshot listing', () => {
  test('a database from before the snapshot listing gains segment and label columns, backfilled from the state', async () => {
    const schema = uniqueSchema('snaplist');
    schemas.push(schema);
    const old = new PostgresStore({ url: TEST_DATABASE_URL, schema });
    await old.init();
    const run = await startRun(old, 't1', 'run-1', { runOverrides: { segmentId: 'orders' } });
    const { segmentId: _dropped, ...legacy } = sampleSnapshot(run, [], 'snap-old');
    await advanceRun(old, run, 1, { snapshots: [legacy] });
    await old.close();
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      // Back to the schema version before the snapshot listing.
      for (const sql of [
        'DROP INDEX snapshots_by_time',
        'DROP INDEX snapshots_by_segment',
        'ALTER TABLE snapshots DROP COLUMN label',
        'ALTER TABLE snapshots DROP COLUMN segment_id',
        'UPDATE llmteam_schema_version SET version = version - 1',
        `DELETE FROM llmteam_migrations WHERE name = 'SnapshotListing1767571200000'`,
      ])
        await client.query(`SET search_path TO "${schema}"; ${sql}`);
    } finally {
      await client.end();
    }
    const store = new PostgresStore({ url: TEST_DATABASE_URL, schema });
    await store.init();
    try {
      const page = await store.querySnapshots('t1', { segmentId: 'orders' });
      expect(page.items.map((s) => [s.snapshotId, s.segmentId])).toEqual([['snap-old', 'orders']]);
    } finally {
      await store.close();
    }
  });
});
