import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type SegmentDefinition } from '@llmteam/core';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { CHECKPOINT_EVERY_WRITES, type WalCheckpointer } from './wal-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chain: SegmentDefinition = {
  segment_id: 'two_steps',
  steps: [
    { step_id: 'a', step_type: 'transform', config: { expression: '$' } },
    { step_id: 'b', step_type: 'transform', config: { expression: '$' } },
  ],
  edges: [{ source_step: 'a', source_port: 'output', target_step: 'b' }],
};

function all(db: sqlite3.Database, sql: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) =>
    db.all(sql, (error, rows) => (error ? reject(error) : resolve(rows as never))),
  );
}

async function pragma(store: SqliteStore, name: string): Promise<unknown> {
  const ds = (
    store as unknown as { dataSource: { query(sql: string): Promise<Array<Record<string, unknown>>> } }
  ).dataSource;
  return (await ds.query(`PRAGMA ${name}`))[0]?.[name];
}

describe('log checkpoints off the commit path', () => {
  test('with sqlite3, commits never checkpoint; a connection of its own copies the log into the file', async () => {
    const path = join(dir, 'checkpointed.sqlite');
    const store = new SqliteStore({ path, synchronous: 'NORMAL' });
    await store.init();
    expect(await pragma(store, 'wal_autocheckpoint')).toBe(0);
    const engine = createEngine({ store });
    await engine.upsertSegment(chain);
    const runs = CHECKPOINT_EVERY_WRITES * 2;
    for (let i = 0; i < runs; i++) {
      const run = await engine.startRun({ segmentId: chain.segment_id, input: { i } });
      expect((await engine.waitForRun(run.runId, { until: ['completed'] })).status).toBe('completed');
    }
    await (store as unknown as { checkpointer: WalCheckpointer }).checkpointer.flush();
    // The database file alone, without its log, holds every committed run.
    const copy = join(dir, 'file-only.sqlite');
    copyFileSync(path, copy);
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(copy, sqlite3.OPEN_READONLY, (error) =>
        error ? reject(error) : resolve(d),
      );
    });
    const [row] = await all(db, "SELECT count(*) AS n FROM runs WHERE status = 'completed'");
    await new Promise<void>((resolve) => db.close(() => resolve()));
    expect(row.n).toBe(runs);
    await store.close();
    // Reopened, nothing is lost and commits go on.
    const again = new SqliteStore({ path, synchronous: 'NORMAL' });
    await again.init();
    expect((await again.listRuns('default', { limit: 1000 })).items).toHaveLength(runs);
    await again.close();
  });
});
