import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord, WorktrailEvent } from '@llmteam/core';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = '2026-01-01T00:00:00.000Z';
const event = (runId: string, seq: number): WorktrailEvent => ({
  event_id: `${runId}.${seq}`,
  tenant_id: 't1',
  run_id: runId,
  seq,
  type: 'step.progress_note',
  timestamp: at,
  data: {},
});
const header = (runId: string, version: number, lastSeq: number): RunRecord => ({
  runId,
  tenantId: 't1',
  segmentId: 'feed',
  segmentVersion: '1.0.0',
  status: 'running',
  input: null,
  version,
  lastSeq,
  stepsCompleted: 0,
  createdAt: at,
  updatedAt: at,
});

/** Appends events `from..to` to a run at `version - 1` (0: creates it). */
function append(store: SqliteStore, runId: string, version: number, from: number, to: number) {
  const events = Array.from({ length: to - from + 1 }, (_, i) => event(runId, from + i));
  return store.commit({
    tenantId: 't1',
    runId,
    expectedVersion: version - 1,
    run: header(runId, version, to),
    events,
  });
}

describe('events of two processes on one file', () => {
  test('a subscriber gets each run in seq order, once, whichever process committed', async () => {
    const path = join(dir, 'feed.sqlite');
    const here = new SqliteStore({ path, crossProcessPollMs: 60_000 });
    const other = new SqliteStore({ path, crossProcessPollMs: 60_000 });
    await here.init();
    await other.init();
    const seen: string[] = [];
    const off = here.subscribe((events) => {
      for (const e of events) seen.push(e.event_id);
    });
    try {
      // A run this process follows from its start, then continued by the other process.
      await append(here, 'a', 1, 1, 2);
      await append(other, 'a', 2, 3, 4);
      await append(here, 'a', 3, 5, 5);
      // A run only the other process committed so far: this process's first commit of it.
      await append(other, 'b', 1, 1, 2);
      await append(here, 'b', 2, 3, 3);
      // New runs and runs continued here in order need no look at the feed.
      await append(here, 'c', 1, 1, 1);
      await append(here, 'c', 2, 2, 3);
      await here.pollOtherProcesses();
      const of = (runId: string) => seen.filter((id) => id.startsWith(`${runId}.`));
      expect(of('a')).toEqual(['a.1', 'a.2', 'a.3', 'a.4', 'a.5']);
      expect(of('b')).toEqual(['b.1', 'b.2', 'b.3']);
      expect(of('c')).toEqual(['c.1', 'c.2', 'c.3']);
      expect(new Set(seen).size).toBe(seen.length);
    } finally {
      off();
      await other.close();
      await here.close();
    }
  });
});
