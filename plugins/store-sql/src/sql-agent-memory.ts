import type { AgentMemoryStore, MemoryEntry } from '@llmteam/core';
import type { SqlDialect, SqlExecutor } from './sql-executor.js';

/** The stored entry's revision (an entry written without one is at 0), in each dialect. */
const REVISION: Record<SqlDialect, string> = {
  sqlite: `COALESCE(json_extract(agent_memory.body, '$.revision'), 0)`,
  postgres: `COALESCE((agent_memory.body::jsonb ->> 'revision')::bigint, 0)`,
};

const SQL = {
  put: `INSERT INTO agent_memory (tenant_id, agent_id, entry_key, body, last_access_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, agent_id, entry_key) DO UPDATE SET body = excluded.body, last_access_at = excluded.last_access_at`,
  get: `SELECT body, last_access_at FROM agent_memory WHERE tenant_id = ? AND agent_id = ? AND entry_key = ?`,
  list: `SELECT body, last_access_at FROM agent_memory WHERE tenant_id = ? AND agent_id = ? ORDER BY entry_key`,
  touch: `UPDATE agent_memory SET last_access_at = ? WHERE tenant_id = ? AND agent_id = ? AND entry_key = ? AND last_access_at < ?`,
};

/** How the SQL store lends its connections to the `memory` role. */
export interface SqlMemoryHost {
  read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T>;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  parse(text: unknown, where: string): unknown;
}

/** What the `memory` role needs besides the connections: the dialect of its one conditional statement. */
export interface SqlAgentMemoryHost extends SqlMemoryHost {
  dialect(): SqlDialect;
}

/** The `memory` role of the SQL stores: one row per entry in `agent_memory`. */
export class SqlAgentMemory implements AgentMemoryStore {
  constructor(private readonly host: SqlAgentMemoryHost) {}

  private decode(row: Record<string, unknown>, where: string): MemoryEntry {
    const entry = this.host.parse(row.body, where) as MemoryEntry;
    return { ...entry, lastAccessAt: String(row.last_access_at) };
  }

  async putMemory(entry: MemoryEntry): Promise<void> {
    const { tenantId, agentId, key, lastAccessAt } = entry;
    await this.host.transaction((tx) =>
      tx.exec(SQL.put, [tenantId, agentId, key, JSON.stringify(entry), lastAccessAt]),
    );
  }

  async swapMemory(entry: MemoryEntry, expected: number): Promise<boolean> {
    const { tenantId, agentId, key, lastAccessAt } = entry;
    const revision = REVISION[this.host.dialect()];
    const body = JSON.stringify(entry);
    // One statement each way, so the check and the write are atomic without a lock.
    const { affected } = await this.host.transaction((tx) =>
      expected === 0
        ? tx.exec(`${SQL.put} WHERE ${revision} = 0`, [tenantId, agentId, key, body, lastAccessAt])
        : tx.exec(
            `UPDATE agent_memory SET body = ?, last_access_at = ? WHERE tenant_id = ? AND agent_id = ? AND entry_key = ? AND ${revision} = ?`,
            [body, lastAccessAt, tenantId, agentId, key, expected],
          ),
    );
    return affected > 0;
  }

  async getMemory(tenantId: string, agentId: string, key: string): Promise<MemoryEntry | undefined> {
    const { rows } = await this.host.read((q) => q.exec(SQL.get, [tenantId, agentId, key]));
    return rows[0] ? this.decode(rows[0], `agent_memory(${tenantId}, ${agentId}, ${key})`) : undefined;
  }

  async listMemory(tenantId: string, agentId: string): Promise<MemoryEntry[]> {
    const { rows } = await this.host.read((q) => q.exec(SQL.list, [tenantId, agentId]));
    return rows.map((row) => this.decode(row, `agent_memory(${tenantId}, ${agentId})`));
  }

  async deleteMemory(tenantId: string, agentId: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const marks = keys.map(() => '?').join(', ');
    const { affected } = await this.host.transaction((tx) =>
      tx.exec(`DELETE FROM agent_memory WHERE tenant_id = ? AND agent_id = ? AND entry_key IN (${marks})`, [
        tenantId,
        agentId,
        ...keys,
      ]),
    );
    return affected;
  }

  async touchMemory(tenantId: string, agentId: string, keys: readonly string[], at: string): Promise<void> {
    if (keys.length === 0) return;
    await this.host.transaction(async (tx) => {
      for (const key of keys) await tx.exec(SQL.touch, [at, tenantId, agentId, key, at]);
    });
  }
}
