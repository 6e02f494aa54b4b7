import type { AgentMemoryStore, MemoryEntry } from './memory-types.js';

/** The `memory` role of `MemoryStore`: entries in a map per tenant and agent. */
export class InMemoryAgentMemory implements AgentMemoryStore {
  private readonly agents = new Map<string, Map<string, MemoryEntry>>();

  private of(tenantId: string, agentId: string, create = false): Map<string, MemoryEntry> | undefined {
    const id = `${tenantId}\u0000${agentId}`;
    let entries = this.agents.get(id);
    if (!entries && create) {
      entries = new Map();
      this.agents.set(id, entries);
    }
    return entries;
  }

  async putMemory(entry: MemoryEntry): Promise<void> {
    this.of(entry.tenantId, entry.agentId, true)!.set(entry.key, structuredClone(entry));
  }

  async swapMemory(entry: MemoryEntry, expected: number): Promise<boolean> {
    const current = this.of(entry.tenantId, entry.agentId)?.get(entry.key);
    if ((current?.revision ?? 0) !== expected) return false;
    this.of(entry.tenantId, entry.agentId, true)!.set(entry.key, structuredClone(entry));
    return true;
  }

  async getMemory(tenantId: string, agentId: string, key: string): Promise<MemoryEntry | undefined> {
    const entry = this.of(tenantId, agentId)?.get(key);
    return entry ? structuredClone(entry) : undefined;
  }

  async listMemory(tenantId: string, agentId: string): Promise<MemoryEntry[]> {
    const entries = [...(this.of(tenantId, agentId)?.values() ?? [])];
    return entries
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => structuredClone(e));
  }

  async deleteMemory(tenantId: string, agentId: string, keys: readonly string[]): Promise<number> {
    const entries = this.of(tenantId, agentId);
    let removed = 0;
    for (const key of keys) if (entries?.delete(key)) removed++;
    return removed;
  }

  async touchMemory(tenantId: string, agentId: string, keys: readonly string[], at: string): Promise<void> {
    const entries = this.of(tenantId, agentId);
    for (const key of keys) {
      const entry = entries?.get(key);
      if (entry && entry.lastAccessAt < at) entry.lastAccessAt = at;
    }
  }
}
