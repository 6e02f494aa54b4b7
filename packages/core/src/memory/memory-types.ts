/** Agent memory: keyed entries per tenant and agent, kept in the store's `memory` role. */

/** One stored memory entry of an agent. */
export interface MemoryEntry {
  tenantId: string;
  /** The agent (or any owner name) the entry belongs to. */
  agentId: string;
  key: string;
  /** Any JSON value. */
  value: unknown;
  /** Size of the value's JSON text in bytes (UTF-8). */
  bytes: number;
  createdAt: string;
  updatedAt: string;
  /** Last read or write, for LRU pruning (ISO 8601). */
  lastAccessAt: string;
  /** After this instant the entry is gone (ISO 8601). Absent: it never expires. */
  expiresAt?: string;
  /**
   * The key of the write that stored this value (e.g. a step attempt's), when the writer
   * gave one: a writer that runs again with the same key finds its write in place.
   */
  writtenBy?: string;
}

/**
 * The store's `memory` role: durable agent memory entries, isolated by tenant and agent.
 * Stores implement it plainly; limits, TTL, LRU and caching live in core's `AgentMemory`.
 * A third-party store proves it with `@llmteam/testkit`'s `agentMemorySuite`.
 */
export interface AgentMemoryStore {
  /** Inserts or replaces the entry with the same (tenant, agent, key). */
  putMemory(entry: MemoryEntry): Promise<void>;
  getMemory(tenantId: string, agentId: string, key: string): Promise<MemoryEntry | undefined>;
  /** Every entry of one agent (expired ones included), in key order. */
  listMemory(tenantId: string, agentId: string): Promise<MemoryEntry[]>;
  /** Removes entries by key; returns how many existed. */
  deleteMemory(tenantId: string, agentId: string, keys: readonly string[]): Promise<number>;
  /** Sets `lastAccessAt` of existing entries (reads recorded for LRU). */
  touchMemory(tenantId: string, agentId: string, keys: readonly string[], at: string): Promise<void>;
}
