import type { LeaseOptions, TimerRecord } from '@llmteam/core';
import type { RowCodec } from './sql-codecs.js';
import type { SqlResult } from './sql-executor.js';
import { LEASE_SQL } from './sql-text.js';

/** Runs one lease or claim statement (atomic on its own) the dialect's way. */
export type LeaseStatement = (sql: string, params: readonly unknown[]) => Promise<SqlResult>;

/**
 * The work queue's statements: claims pick and lease rows in one statement. `skipLocked`
 * is `FOR UPDATE SKIP LOCKED` where the dialect has row locks (concurrent claimers take
 * different rows), else empty (SQLite has one writer at a time).
 */
export class SqlLeases {
  constructor(
    private readonly run: LeaseStatement,
    private readonly codec: RowCodec,
    private readonly skipLocked: string,
  ) {}

  async claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    const now = Date.parse(options.now);
    const { rows } = await this.run(LEASE_SQL.claimTimers(this.skipLocked), [
      options.owner,
      now + options.leaseMs,
      now,
      now,
      options.owner,
      options.limit,
    ]);
    return rows
      .map((r) => this.codec.parse(r.body, 'timers') as TimerRecord)
      .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  }

  async claimRuns(
    options: LeaseOptions & { limit: number },
  ): Promise<Array<{ tenantId: string; runId: string }>> {
    const now = Date.parse(options.now);
    const { rows } = await this.run(LEASE_SQL.claimRuns(this.skipLocked), [
      options.owner,
      now + options.leaseMs,
      now,
      options.limit,
    ]);
    return rows.map((r) => ({ tenantId: String(r.tenant_id), runId: String(r.run_id) }));
  }

  async acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    const now = Date.parse(options.now);
    const { affected } = await this.run(LEASE_SQL.acquire, [
      options.owner,
      now + options.leaseMs,
      tenantId,
      runId,
      options.owner,
      now,
    ]);
    return affected === 1;
  }

  async releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    await this.run(LEASE_SQL.release, [tenantId, runId, owner]);
  }
}
