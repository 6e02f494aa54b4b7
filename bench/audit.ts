/**
 * The audit log's costs, each against the call it wraps in the same run.
 *
 * - `append`: a 10-step chain on a SQLite file (synchronous NORMAL and FULL), one commit
 *   per step, with and without one audit entry chained into every commit (the store reads
 *   the tenant's head and inserts the entry inside the commit's transaction). Target: the
 *   entry adds under 10% to a persisted step.
 * - `verify`: 100,000 entries of one tenant, verified by `engine.verifyAudit` on the SQLite
 *   store (read page by page as stored, included), beside the bare operation (the same
 *   pages read, one SHA-256 of each entry's hashed text, no checks) and `verifyAuditChain`
 *   over decoded records in memory. Target: over 200,000 entries/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AuditDraft,
  type AuditRecord,
  auditEntryMessage,
  auditRowPages,
  createEngine,
  type RunRecord,
  type Store,
  sha256,
  verifyAuditChain,
} from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';
import { persistChain, r2, smallOutput } from './store-chain.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const APPEND_TARGET = 0.1;
const VERIFY_TARGET_PER_S = 200_000;
const VERIFY_ENTRIES = 100_000;

function draft(tenantId: string, runId: string, i: number): AuditDraft {
  return {
    tenantId,
    action: 'interaction.answered',
    actor: 'ann@acme.example',
    runId,
    target: `int_${runId}_${i}`,
    data: { decision: 'approved', comment: 'ok', kind: 'approval' },
    timestamp: new Date(1_780_000_000_000 + i).toISOString(),
  };
}

/**
 * The store with one audit entry added to every commit, as an audited step commits; with
 * `audited` false the same wrapper adds none, so both sides pay for the wrapper alike.
 */
function withAuditPerCommit(store: Store, audited = true): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'commit') {
        return (commit: Parameters<Store['commit']>[0]) =>
          target.commit({
            ...commit,
            audit: audited
              ? [...(commit.audit ?? []), draft(commit.tenantId, commit.runId, commit.run.version)]
              : commit.audit,
          });
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function append(synchronous: 'FULL' | 'NORMAL', dir: string): Promise<Record<string, unknown>> {
  const store = new SqliteStore({ path: join(dir, `audit-append-${synchronous}.sqlite`), synchronous });
  await store.init();
  try {
    const audited = withAuditPerCommit(store);
    const bare = withAuditPerCommit(store, false);
    await persistChain(bare, 't1', 'warm-plain', { steps: 10, output: smallOutput });
    await persistChain(audited, 't1', 'warm-audited', { steps: 10, output: smallOutput });
    const plain: number[] = [];
    const withAudit: number[] = [];
    // Alternating run by run, medians of every commit: load on a shared machine hits both alike.
    for (let r = 0; r < 150; r++) {
      await persistChain(bare, 't1', `plain-${r}`, { steps: 10, output: smallOutput, timings: plain });
      await persistChain(audited, 't1', `audited-${r}`, {
        steps: 10,
        output: smallOutput,
        timings: withAudit,
      });
    }
    const plainUs = median(plain) * 1000;
    const auditedUs = median(withAudit) * 1000;
    const overhead = (auditedUs - plainUs) / plainUs;
    return {
      usPerStepMedian: r2(plainUs),
      usPerStepWithAuditEntryMedian: r2(auditedUs),
      overhead: r2(overhead),
      target: `< ${APPEND_TARGET}`,
      within_target: overhead < APPEND_TARGET,
    };
  } finally {
    await store.close();
  }
}

/** Seeds `count` chained entries for one tenant through the store's commit, 1,000 a commit. */
async function seedAudit(store: Store, tenantId: string, count: number): Promise<void> {
  const perCommit = 1000;
  const now = new Date().toISOString();
  for (let c = 0; c * perCommit < count; c++) {
    const runId = `audit-seed-${c}`;
    const run: RunRecord = {
      runId,
      tenantId,
      segmentId: 'bench_audit',
      segmentVersion: '1.0.0',
      status: 'completed',
      input: {},
      version: 1,
      lastSeq: 0,
      stepsCompleted: 0,
      createdAt: now,
      updatedAt: now,
    };
    const audit = Array.from({ length: Math.min(perCommit, count - c * perCommit) }, (_, i) =>
      draft(tenantId, runId, c * perCommit + i),
    );
    await store.commit({ tenantId, runId, expectedVersion: 0, run, audit });
  }
}

function rate(entries: number, ms: number): number {
  return Math.round(entries / (ms / 1000));
}

async function verify(dir: string): Promise<Record<string, unknown>> {
  const store = new SqliteStore({ path: join(dir, 'audit-verify.sqlite'), synchronous: 'NORMAL' });
  const engine = createEngine({ store });
  await store.init();
  try {
    await seedAudit(store, 'default', VERIFY_ENTRIES);
    const records: AuditRecord[] = await store.listAudit('default');
    // Bare operation: the pages read and the hashing the chain needs, with no checks around it.
    const bare = async () => {
      const t0 = performance.now();
      let prev = '';
      const tenant = JSON.stringify('default');
      for await (const page of auditRowPages(store, 'default'))
        for (const r of page) prev = sha256(auditEntryMessage(tenant, r.seq, r.timestamp, r.body));
      if (prev.length !== 64) throw new Error('unreachable');
      return performance.now() - t0;
    };
    const inMemory = () => {
      const t0 = performance.now();
      const result = verifyAuditChain(records);
      if (!result.valid) throw new Error(`seeded chain does not verify: ${result.brokenAt?.reason}`);
      return performance.now() - t0;
    };
    const throughStore = async () => {
      const t0 = performance.now();
      const result = await engine.verifyAudit({ tenantId: 'default' });
      if (!result.valid || result.checked !== VERIFY_ENTRIES)
        throw new Error(`store chain does not verify: ${JSON.stringify(result)}`);
      return performance.now() - t0;
    };
    await bare();
    inMemory();
    await throughStore();
    const bareMs: number[] = [];
    const memMs: number[] = [];
    const storeMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      bareMs.push(await bare());
      memMs.push(inMemory());
      storeMs.push(await throughStore());
    }
    const storeRate = rate(VERIFY_ENTRIES, median(storeMs));
    return {
      entries: VERIFY_ENTRIES,
      engine_verify_sqlite_entries_per_s: storeRate,
      verify_chain_in_memory_entries_per_s: rate(VERIFY_ENTRIES, median(memMs)),
      bare_paged_read_and_hash_entries_per_s: rate(VERIFY_ENTRIES, median(bareMs)),
      target_entries_per_s: `> ${VERIFY_TARGET_PER_S}`,
      within_target: storeRate > VERIFY_TARGET_PER_S,
    };
  } finally {
    await engine.stop();
    await store.close();
  }
}

/** Runs the audit benchmark; returns a JSON-able report. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-audit-'));
  try {
    return {
      append: { normal: await append('NORMAL', dir), full: await append('FULL', dir) },
      verify: await verify(dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  console.log(JSON.stringify(await run(), null, 2));
