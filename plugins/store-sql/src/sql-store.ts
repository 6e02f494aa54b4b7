import {
  type AgentMemoryStore,
  type ApiKeyRecord,
  type AuditCheckpointStore,
  type AuditDraft,
  type AuditPageQuery,
  type AuditRecord,
  type AuditRow,
  type EventQuery,
  eventPage,
  type InteractionRecord,
  type LeaseOptions,
  type ListEventsOptions,
  type ListInteractionsOptions,
  type ListRunsOptions,
  normalizeEventQuery,
  type Page,
  type RegistryChange,
  type RetentionSweepOptions,
  type RetentionSweepResult,
  type RunRecord,
  type RunState,
  type RunStateQuery,
  type SegmentRecord,
  type SnapshotQuery,
  type SnapshotRecord,
  type StepStateRecord,
  type Store,
  TERMINAL_RUN_STATUSES,
  type TenantRecord,
  type TimerRecord,
  type WorktrailEvent,
} from '@llmteam/core';
import { eventFromRow, eventQuerySql } from './event-query-sql.js';
import { SqlAgentMemory } from './sql-agent-memory.js';
import { appendAudit } from './sql-audit.js';
import { SqlAuditCheckpoints } from './sql-audit-checkpoints.js';
import type { SqlExecutor } from './sql-executor.js';
import {
  type RegistryStatement,
  registryStatements,
  SqlRegistryReads,
  writeRegistry,
} from './sql-registry.js';
import { SqlStoreBase } from './sql-store-base.js';
import { ERASE_SQL, LEASE_SQL, READ_SQL, RUN_TABLES } from './sql-text.js';
import { sweepRetention } from './sweep-retention.js';

export type { PlanWriter } from './sql-store-base.js';

/**
 * The Store interface implemented once for SQLite and Postgres on TypeORM. The hot path
 * (commit, getRun, getSteps, listEvents) runs raw SQL through a QueryRunner; the schema is
 * created by versioned migrations at `init()`. Subclasses open the DataSource, decide how
 * transactions and reads are scheduled, and may execute a commit plan their own faster way
 * ({@link executeCommit}).
 */
export abstract class SqlStore extends SqlStoreBase implements Store {
  /** Agent memory entries (the `memory` role), in the `agent_memory` table. */
  readonly memory: AgentMemoryStore = new SqlAgentMemory({
    read: (fn) => {
      this.ready();
      return this.read(fn);
    },
    transaction: (fn) => {
      this.ready();
      return this.transaction(fn);
    },
    parse: (text, where) => this.parse(text, where),
    dialect: () => this.dialect,
  });

  /** Signed audit checkpoints (the `auditCheckpoints` role), in the `audit_checkpoints` table. */
  readonly auditCheckpoints: AuditCheckpointStore = new SqlAuditCheckpoints({
    read: (fn) => {
      this.ready();
      return this.read(fn);
    },
    transaction: (fn) => {
      this.ready();
      return this.transaction(fn);
    },
    parse: (text, where) => this.parse(text, where),
  });

  getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.reading((q, r) => r.run(q, READ_SQL.run, [tenantId, runId]));
  }
  readRunState(tenantId: string, query: RunStateQuery): Promise<RunState | undefined> {
    return this.reading((q, r) => r.runState(q, tenantId, query));
  }
  findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined> {
    return this.reading((q, r) => r.run(q, READ_SQL.runByKey, [tenantId, key]));
  }
  listRuns(tenantId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    return this.reading((q, r) => r.runs(q, tenantId, options));
  }
  getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]> {
    return this.reading((q, r) => r.steps(q, tenantId, runId));
  }
  listEvents(tenantId: string, runId: string, options: ListEventsOptions = {}): Promise<WorktrailEvent[]> {
    return this.reading((q, r) => r.events(q, tenantId, runId, options));
  }
  async queryEvents(tenantId: string, query: EventQuery = {}): Promise<Page<WorktrailEvent>> {
    const q = normalizeEventQuery(query);
    const { sql, params } = eventQuerySql(tenantId, q);
    return this.reading(async (x) => {
      const { rows } = await x.exec(sql, params);
      return eventPage(
        rows.map((r) => eventFromRow(tenantId, r, (v, where) => this.parse(v, where))),
        q.limit,
      );
    });
  }
  getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined> {
    return this.reading((q, r) => r.interaction(q, tenantId, interactionId));
  }
  listInteractions(tenantId: string, options: ListInteractionsOptions = {}): Promise<InteractionRecord[]> {
    return this.reading((q, r) => r.interactions(q, tenantId, options));
  }
  listTimers(tenantId: string, runId: string): Promise<TimerRecord[]> {
    return this.reading((q, r) => r.timers(q, tenantId, runId));
  }
  getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    return this.reading((q, r) => r.snapshot(q, tenantId, snapshotId));
  }
  listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    return this.reading((q, r) => r.snapshots(q, tenantId, runId));
  }
  querySnapshots(tenantId: string, query: SnapshotQuery): Promise<Page<SnapshotRecord>> {
    return this.reading((q, r) => r.snapshotPage(q, tenantId, query));
  }

  async deleteSnapshot(tenantId: string, snapshotId: string, audit: AuditDraft): Promise<boolean> {
    this.ready();
    let chained: AuditRecord[] = [];
    const deleted = await this.transaction(async (tx) => {
      const { affected } = await tx.exec(ERASE_SQL.snapshot, [tenantId, snapshotId]);
      if (!affected) return false;
      chained = await appendAudit(tx, [audit], (t, id) => this.lockAuditChain(t, id));
      return true;
    });
    this.onAuditAppended(chained);
    return deleted;
  }
  listAudit(tenantId: string, range: { from?: string; to?: string } = {}): Promise<AuditRecord[]> {
    return this.reading((q, r) => r.audit(q, tenantId, range));
  }
  listAuditRows(tenantId: string, page: AuditPageQuery): Promise<AuditRow[]> {
    return this.reading((q, r) => r.auditPage(q, tenantId, page));
  }

  // ---------------------------------------------------------------- work queue

  async claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    this.ready();
    return this.p.leases.claimDueTimers(options);
  }
  async nextTimerDue(): Promise<string | undefined> {
    const { rows } = await this.reading((q) => q.exec(LEASE_SQL.nextTimer, []));
    return rows[0] ? (this.parse(rows[0].body, 'timers') as TimerRecord).dueAt : undefined;
  }
  async claimRuns(
    options: LeaseOptions & { limit: number },
  ): Promise<Array<{ tenantId: string; runId: string }>> {
    this.ready();
    return this.p.leases.claimRuns(options);
  }
  async acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    this.ready();
    return this.p.leases.acquireLease(tenantId, runId, options);
  }
  async releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    this.ready();
    return this.p.leases.releaseLease(tenantId, runId, owner);
  }

  // ---------------------------------------------------------------- registry

  async putTenant(tenant: TenantRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.tenant(tenant), change);
  }
  async putApiKey(key: ApiKeyRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.apiKey(key), change);
  }
  async putSegment(segment: SegmentRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.segment(segment), change);
  }

  /** A registry write and its audit entry in one transaction. */
  private async writeRegistry(
    statement: RegistryStatement,
    change: RegistryChange | undefined,
  ): Promise<void> {
    this.ready();
    const audit = await this.transaction(async (tx) => {
      const draft = await writeRegistry(tx, this.p.codec, statement, change);
      return appendAudit(tx, [draft], (t, id) => this.lockAuditChain(t, id));
    });
    this.onAuditAppended(audit);
  }

  private async registryRead<T>(fn: (q: SqlExecutor, reads: SqlRegistryReads) => Promise<T>): Promise<T> {
    this.ready();
    return this.read((q) => fn(q, this.p.registry));
  }

  getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    return this.registryRead((q, r) => r.tenant(q, tenantId));
  }
  listTenants(): Promise<TenantRecord[]> {
    return this.registryRead((q, r) => r.tenants(q));
  }
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    return this.registryRead((q, r) => r.apiKeyByHash(q, secretHash));
  }
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.registryRead((q, r) => r.apiKeys(q, tenantId));
  }
  getSegment(tenantId: string, segmentId: string, version?: string): Promise<SegmentRecord | undefined> {
    return this.registryRead((q, r) => r.segment(q, tenantId, segmentId, version));
  }
  listSegments(tenantId: string): Promise<SegmentRecord[]> {
    return this.registryRead((q, r) => r.segments(q, tenantId));
  }

  // ---------------------------------------------------------------- erasure

  async eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void> {
    this.ready();
    const chained = await this.transaction(async (tx) => {
      await this.deleteRunRows(tx, tenantId, runId);
      return appendAudit(tx, [audit], (t, id) => this.lockAuditChain(t, id));
    });
    this.onAuditAppended(chained);
  }

  /** Deletes a run and every row derived from it, inside the caller's transaction. */
  protected async deleteRunRows(tx: SqlExecutor, tenantId: string, runId: string): Promise<void> {
    // Before the delete: should the transaction roll back, the run is only sent its values again.
    this.storedValues.forget(tenantId, runId);
    for (const table of RUN_TABLES) await tx.exec(ERASE_SQL.runRows(table), [tenantId, runId]);
  }

  /**
   * Deletes terminal runs finished before `runsBefore` (with everything derived from them)
   * and snapshots taken before `snapshotsBefore`, for one tenant, in one transaction, and
   * appends the audit entry `audit` makes of what was deleted (none when nothing was).
   * `snapshotIds` lists every snapshot that went, those of the deleted runs included.
   * Used by `sweepRetention`.
   */
  async deleteExpired(
    tenantId: string,
    cutoffs: { runsBefore?: string; snapshotsBefore?: string },
    audit?: (deleted: { runs: string[]; snapshots: number }) => AuditDraft,
  ): Promise<{ runs: string[]; snapshots: number; snapshotIds: string[] }> {
    this.ready();
    let chained: AuditRecord[] = [];
    const deleted = await this.transaction(async (tx) => {
      const runs: string[] = [];
      const snapshotIds: string[] = [];
      if (cutoffs.runsBefore) {
        const { rows } = await tx.exec(ERASE_SQL.expiredRuns(TERMINAL_RUN_STATUSES.length), [
          tenantId,
          ...TERMINAL_RUN_STATUSES,
          cutoffs.runsBefore,
        ]);
        for (const r of rows) {
          const runId = String(r.run_id);
          const { rows: snaps } = await tx.exec(ERASE_SQL.runSnapshots, [tenantId, runId]);
          for (const s of snaps) snapshotIds.push(String(s.snapshot_id));
          await this.deleteRunRows(tx, tenantId, runId);
          runs.push(runId);
        }
      }
      let snapshots = 0;
      if (cutoffs.snapshotsBefore) {
        const { rows } = await tx.exec(ERASE_SQL.expiredSnapshots, [tenantId, cutoffs.snapshotsBefore]);
        snapshots = rows.length;
        for (const s of rows) snapshotIds.push(String(s.snapshot_id));
      }
      if (audit && (runs.length || snapshots))
        chained = await appendAudit(tx, [audit({ runs, snapshots })], (t, id) => this.lockAuditChain(t, id));
      return { runs, snapshots, snapshotIds };
    });
    this.onAuditAppended(chained);
    return deleted;
  }

  /**
   * The `sweepRetention` role: applies every tenant's retention policy now (see the
   * `sweepRetention` function); a running engine calls it on its `retention` schedule.
   */
  sweepRetention(options: RetentionSweepOptions): Promise<RetentionSweepResult> {
    return sweepRetention(this, options);
  }
}
