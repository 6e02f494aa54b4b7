import { ConcurrencyError, LlmteamError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parseDuration } from '../util/duration.js';
import type { AgentMemoryStore, MemoryEntry } from './memory-types.js';

/** Limits and caching of agent memory (per agent and tenant). */
export interface AgentMemoryOptions {
  /** Entries an agent keeps; the least recently used go first. @default 1000 */
  maxEntries?: number;
  /** Bytes (values' JSON) an agent keeps; the least recently used go first. @default 104857600 (100 MB) */
  maxBytes?: number;
  /** How long an entry lives unless `set` says otherwise: ISO 8601 duration or seconds. @default "PT24H" */
  ttl?: string | number;
  /** Hot entries kept in this process, over all agents. @default 10000 */
  cacheEntries?: number;
  /** How long a cached entry is trusted before the store is read again, in ms. @default 1000 */
  cacheTtlMs?: number;
}

/** Defaults of {@link AgentMemoryOptions} (from the original design). */
export const AGENT_MEMORY_DEFAULTS = {
  maxEntries: 1000,
  maxBytes: 100 * 1024 * 1024,
  ttlMs: 24 * 3600_000,
  cacheEntries: 10_000,
  cacheTtlMs: 1000,
} as const;

/** What one agent's memory holds and how it was used (this process's counters). */
export interface MemoryStats {
  entries: number;
  bytes: number;
  /** Reads that found a live entry (from the cache or the store). */
  hits: number;
  /** Reads that found nothing (or an expired entry). */
  misses: number;
  /** Reads served by the in-process cache. */
  cacheHits: number;
  /** Entries removed to stay within `maxEntries` / `maxBytes`. */
  evictions: number;
  /** Entries removed because their TTL passed. */
  expirations: number;
}

/** Options of {@link AgentMemoryScope.set}. */
export interface MemorySetOptions {
  /** How long the entry lives: ISO 8601 duration or seconds (0: forever). @default the memory's `ttl` */
  ttl?: string | number;
  /** Makes the write idempotent: a second write with the same key leaves the entry as it is. */
  writeKey?: string;
}

/** Options of {@link AgentMemoryScope.update}. */
export interface MemoryUpdateOptions {
  /** How long the entry lives: ISO 8601 duration or seconds (0: forever). @default the memory's `ttl` */
  ttl?: string | number;
  /** Reads and tries again this often when other writers keep changing the entry first. @default 50 */
  attempts?: number;
}

/** One agent's memory in one tenant. */
export interface AgentMemoryScope {
  readonly tenantId: string;
  readonly agentId: string;
  /** The entry's value, or undefined (absent or expired). */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Stores a JSON value, then prunes: expired entries first, then the least recently used
   * until the agent is within its limits.
   * With `writeKey`, the write is idempotent by that key: when the entry was last written
   * with the same key, nothing is written and `set` resolves to false.
   * @throws LlmteamError `LLMT_E_MEMORY_ENTRY_TOO_LARGE` when one value exceeds `maxBytes`.
   */
  set(key: string, value: unknown, options?: MemorySetOptions): Promise<boolean>;
  /**
   * Changes one entry atomically, also against other engines on the same store: reads the
   * value (undefined when absent or expired), calls `change` with it, and writes what it
   * returns only if no one wrote the entry in between; otherwise reads again and calls
   * `change` with the newer value. `change` returning undefined writes nothing. Resolves to
   * the value stored at the end. Needs a store whose `memory` role has `swapMemory`; with
   * one that lacks it, updates are serialised within this process only.
   * @throws LlmteamError `LLMT_E_CONFLICT` (retryable) when `attempts` reads all lost the race.
   */
  update<T>(
    key: string,
    change: (current: T | undefined) => T | undefined | Promise<T | undefined>,
    options?: MemoryUpdateOptions,
  ): Promise<T | undefined>;
  delete(key: string): Promise<boolean>;
  /** Live keys, in key order. */
  keys(): Promise<string[]>;
  stats(): Promise<MemoryStats>;
  /** Removes expired entries and enforces the limits now; returns how many went. */
  prune(): Promise<number>;
}

interface Cached {
  entry: MemoryEntry;
  cachedAt: number;
}

type Counters = Omit<MemoryStats, 'entries' | 'bytes'>;

const byteLength = (json: string) => Buffer.byteLength(json, 'utf8');

/**
 * Agent memory over the store's `memory` role: keyed JSON entries per tenant and agent
 * with a TTL, limits on entries and bytes with LRU pruning, statistics, and an in-process
 * cache for hot entries. Reads are recorded for LRU in this process and written to the
 * store at the next write or prune of the agent.
 */
export class AgentMemory {
  private readonly limits: Required<Omit<AgentMemoryOptions, 'ttl'>> & { ttlMs: number };
  private readonly cache = new Map<string, Cached>();
  private readonly touched = new Map<string, Map<string, string>>();
  private readonly counters = new Map<string, Counters>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: AgentMemoryOptions = {},
  ) {
    this.limits = {
      maxEntries: options.maxEntries ?? AGENT_MEMORY_DEFAULTS.maxEntries,
      maxBytes: options.maxBytes ?? AGENT_MEMORY_DEFAULTS.maxBytes,
      ttlMs:
        options.ttl === undefined ? AGENT_MEMORY_DEFAULTS.ttlMs : parseDuration(options.ttl, 'memory.ttl'),
      cacheEntries: options.cacheEntries ?? AGENT_MEMORY_DEFAULTS.cacheEntries,
      cacheTtlMs: options.cacheTtlMs ?? AGENT_MEMORY_DEFAULTS.cacheTtlMs,
    };
  }

  private get role(): AgentMemoryStore {
    const role = this.store.memory;
    if (!role)
      throw new LlmteamError(
        'LLMT_E_MEMORY_UNSUPPORTED',
        `store "${this.store.name}" has no \`memory\` role; use a store that implements it (memory, SQLite, Postgres) for agent memory`,
      );
    return role;
  }

  /** The memory of `agentId` in `tenantId`. */
  agent(tenantId: string, agentId: string): AgentMemoryScope {
    if (!tenantId || !agentId)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'memory.agent(tenantId, agentId): both must be non-empty',
      );
    const id = `${tenantId}\u0000${agentId}`;
    return {
      tenantId,
      agentId,
      get: (key) => this.get(id, tenantId, agentId, key) as never,
      set: (key, value, options) =>
        this.serial(id, () => this.set(id, tenantId, agentId, key, value, options)),
      update: (key, change, options) =>
        this.serial(id, () => this.update(id, tenantId, agentId, key, change as never, options)) as never,
      delete: (key) => this.serial(id, () => this.remove(id, tenantId, agentId, key)),
      keys: async () => (await this.live(tenantId, agentId)).map((e) => e.key),
      stats: () => this.stats(id, tenantId, agentId),
      prune: () => this.serial(id, () => this.prune(id, tenantId, agentId)),
    };
  }

  /**
   * Copies selected keys from one agent's memory to another's in the same tenant (e.g. on a
   * handoff); returns the keys copied (absent or expired ones are left out).
   */
  async thread(options: { tenantId: string; from: string; to: string; keys: string[] }): Promise<string[]> {
    const from = this.agent(options.tenantId, options.from);
    const to = this.agent(options.tenantId, options.to);
    const copied: string[] = [];
    for (const key of options.keys) {
      const value = await from.get(key);
      if (value === undefined) continue;
      await to.set(key, value);
      copied.push(key);
    }
    return copied;
  }

  private count(id: string): Counters {
    let c = this.counters.get(id);
    if (!c) {
      c = { hits: 0, misses: 0, cacheHits: 0, evictions: 0, expirations: 0 };
      this.counters.set(id, c);
    }
    return c;
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return next;
  }

  private expired(entry: MemoryEntry, now: number): boolean {
    return entry.expiresAt !== undefined && Date.parse(entry.expiresAt) <= now;
  }

  private remember(cacheKey: string, entry: MemoryEntry, now: number): void {
    this.cache.delete(cacheKey);
    this.cache.set(cacheKey, { entry, cachedAt: now });
    if (this.cache.size > this.limits.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  private async get(id: string, tenantId: string, agentId: string, key: string): Promise<unknown> {
    const now = this.clock.now();
    const counters = this.count(id);
    const cacheKey = `${id}\u0000${key}`;
    const cached = this.cache.get(cacheKey);
    let entry: MemoryEntry | undefined;
    if (cached && now - cached.cachedAt < this.limits.cacheTtlMs) {
      entry = cached.entry;
      // Most recently used last: the cache is an LRU too.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, cached);
      counters.cacheHits++;
    } else {
      entry = await this.role.getMemory(tenantId, agentId, key);
      if (entry) this.remember(cacheKey, entry, now);
      else this.cache.delete(cacheKey);
    }
    if (!entry || this.expired(entry, now)) {
      counters.misses++;
      return undefined;
    }
    counters.hits++;
    let touched = this.touched.get(id);
    if (!touched) {
      touched = new Map();
      this.touched.set(id, touched);
    }
    const at = new Date(now).toISOString();
    touched.set(key, at);
    entry.lastAccessAt = at;
    return structuredClone(entry.value);
  }

  private async set(
    id: string,
    tenantId: string,
    agentId: string,
    key: string,
    value: unknown,
    options: MemorySetOptions = {},
  ): Promise<boolean> {
    const previous = await this.role.getMemory(tenantId, agentId, key);
    if (
      options.writeKey !== undefined &&
      previous?.writtenBy === options.writeKey &&
      !this.expired(previous, this.clock.now())
    )
      return false;
    const entry = this.draft(tenantId, agentId, key, value, previous, options);
    await this.role.putMemory(entry);
    await this.stored(id, entry);
    return true;
  }

  private async update(
    id: string,
    tenantId: string,
    agentId: string,
    key: string,
    change: (current: unknown) => unknown,
    options: MemoryUpdateOptions = {},
  ): Promise<unknown> {
    const role = this.role;
    const attempts = options.attempts ?? 50;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const previous = await role.getMemory(tenantId, agentId, key);
      const live = previous && !this.expired(previous, this.clock.now()) ? previous : undefined;
      const next = await change(live === undefined ? undefined : structuredClone(live.value));
      if (next === undefined) return live === undefined ? undefined : structuredClone(live.value);
      const entry = this.draft(tenantId, agentId, key, next, previous, { ttl: options.ttl });
      if (role.swapMemory) {
        if (!(await role.swapMemory(entry, previous?.revision ?? 0))) continue;
      } else await role.putMemory(entry);
      await this.stored(id, entry);
      return structuredClone(entry.value);
    }
    throw new ConcurrencyError(
      `memory of agent "${agentId}", key "${key}": other writers changed the entry first ${attempts} times in a row; try again`,
      { details: { agentId, key, attempts } },
    );
  }

  /** The entry a write of `value` stores, one revision after `previous`. */
  private draft(
    tenantId: string,
    agentId: string,
    key: string,
    value: unknown,
    previous: MemoryEntry | undefined,
    options: MemorySetOptions,
  ): MemoryEntry {
    if (typeof key !== 'string' || !key)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `memory of agent "${agentId}": key must be a non-empty string`,
      );
    const json = JSON.stringify(value);
    if (json === undefined)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `memory of agent "${agentId}", key "${key}": the value must be JSON (got ${typeof value}); store null to keep an empty entry`,
      );
    const bytes = byteLength(json);
    if (bytes > this.limits.maxBytes)
      throw new LlmteamError(
        'LLMT_E_MEMORY_ENTRY_TOO_LARGE',
        `memory of agent "${agentId}", key "${key}": the value is ${bytes} bytes, over the agent's maxBytes of ${this.limits.maxBytes}; store less or raise memory.maxBytes`,
        { details: { agentId, key, bytes, maxBytes: this.limits.maxBytes } },
      );
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const ttlMs = options.ttl === undefined ? this.limits.ttlMs : parseDuration(options.ttl, 'ttl');
    return {
      tenantId,
      agentId,
      key,
      value: JSON.parse(json),
      bytes,
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
      lastAccessAt: at,
      ...(ttlMs > 0 ? { expiresAt: new Date(now + ttlMs).toISOString() } : {}),
      ...(options.writeKey !== undefined ? { writtenBy: options.writeKey } : {}),
      revision: (previous?.revision ?? 0) + 1,
    };
  }

  /** After a write: the cache holds the entry, then the agent is pruned (sparing it). */
  private async stored(id: string, entry: MemoryEntry): Promise<void> {
    this.touched.get(id)?.delete(entry.key);
    this.remember(`${id}\u0000${entry.key}`, entry, this.clock.now());
    await this.prune(id, entry.tenantId, entry.agentId, entry.key);
  }

  private async remove(id: string, tenantId: string, agentId: string, key: string): Promise<boolean> {
    this.cache.delete(`${id}\u0000${key}`);
    this.touched.get(id)?.delete(key);
    return (await this.role.deleteMemory(tenantId, agentId, [key])) > 0;
  }

  /** Writes recorded reads, drops expired entries, evicts the least recently used over the limits. */
  private async prune(id: string, tenantId: string, agentId: string, keep?: string): Promise<number> {
    const touched = this.touched.get(id);
    if (touched?.size) {
      const byTime = new Map<string, string[]>();
      for (const [key, at] of touched) byTime.set(at, [...(byTime.get(at) ?? []), key]);
      for (const [at, keys] of byTime) await this.role.touchMemory(tenantId, agentId, keys, at);
      touched.clear();
    }
    const now = this.clock.now();
    const counters = this.count(id);
    const all = await this.role.listMemory(tenantId, agentId);
    const expired = all.filter((e) => this.expired(e, now)).map((e) => e.key);
    const live = all
      .filter((e) => !this.expired(e, now))
      .sort((a, b) => (a.lastAccessAt < b.lastAccessAt ? -1 : a.lastAccessAt > b.lastAccessAt ? 1 : 0));
    let bytes = live.reduce((sum, e) => sum + e.bytes, 0);
    const evicted: string[] = [];
    for (const e of live) {
      if (live.length - evicted.length <= this.limits.maxEntries && bytes <= this.limits.maxBytes) break;
      if (e.key === keep) continue;
      evicted.push(e.key);
      bytes -= e.bytes;
    }
    const gone = [...expired, ...evicted];
    if (gone.length) {
      await this.role.deleteMemory(tenantId, agentId, gone);
      for (const key of gone) this.cache.delete(`${id}\u0000${key}`);
    }
    counters.expirations += expired.length;
    counters.evictions += evicted.length;
    return gone.length;
  }

  private async live(tenantId: string, agentId: string): Promise<MemoryEntry[]> {
    const now = this.clock.now();
    return (await this.role.listMemory(tenantId, agentId)).filter((e) => !this.expired(e, now));
  }

  private async stats(id: string, tenantId: string, agentId: string): Promise<MemoryStats> {
    const live = await this.live(tenantId, agentId);
    return { entries: live.length, bytes: live.reduce((s, e) => s + e.bytes, 0), ...this.count(id) };
  }
}
