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
  /**
   * Counts the writes of this entry (absent: 0). Every write stores one more than the
   * entry had; {@link AgentMemoryStore.swapMemory} writes only at the revision it expects.
   */
  revision?: number;
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
  /**
   * Compare-and-set: writes `entry` only when the stored entry's `revision` is `expected`
   * (an absent entry, or one without `revision`, is at 0), as one atomic step of the
   * store, so two processes changing one entry at once cannot both win. Resolves to false,
   * writing nothing, when the entry is at another revision. `entry.revision` should be
   * `expected + 1`. A store without it coordinates agent pools within one process only.
   */
  swapMemory?(entry: MemoryEntry, expected: number): Promise<boolean>;
}
