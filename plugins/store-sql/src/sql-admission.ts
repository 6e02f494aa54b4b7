import { type CommitAdmission, OPEN_INTERACTION_STATUSES } from '@llmteam/core';
import { marks } from './sql-text.js';

/** The count of one admission (see `Commit.admit`) in a tenant, as one statement returning `n`. */
export function admissionCountSql(
  tenantId: string,
  check: CommitAdmission,
): { sql: string; params: unknown[] } {
  if (check.count === 'open_interactions') {
    const open = [...OPEN_INTERACTION_STATUSES];
    return {
      sql: `SELECT count(*) AS n FROM interactions WHERE tenant_id = ? AND status IN (${marks(open.length)})`,
      params: [tenantId, ...open],
    };
  }
  const where = ['tenant_id = ?'];
  const params: unknown[] = [tenantId];
  if (check.statuses?.length) {
    where.push(`status IN (${marks(check.statuses.length)})`);
    params.push(...check.statuses);
  }
  if (check.createdSince) {
    where.push('created_at >= ?');
    params.push(check.createdSince);
  }
  return { sql: `SELECT count(*) AS n FROM runs WHERE ${where.join(' AND ')}`, params };
}
