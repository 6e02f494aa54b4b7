import { randomUUID } from 'node:crypto';
import type {
  ApiKeyRecord,
  AuditDraft,
  AuditRecord,
  Commit,
  CommitResult,
  EventListener,
  InteractionRecord,
  LeaseOptions,
  ListEventsOptions,
  ListInteractionsOptions,
  ListRunsOptions,
  Page,
  RunRecord,
  SegmentRecord,
  SnapshotRecord,
  StepStateRecord,
  Store,
  StoreCapabilities,
  TenantRecord,
  TimerRecord,
  WorktrailEvent,
} from '@llmteam/core';
import { type EventQuery, OrderedDelivery, queryEvents } from '@llmteam/core';
import { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** The store that keeps everything (SQLite, Postgres, ...): the source of truth. Required. */
  store: Store;
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Prefix of every key and of the event channel; nodes sharing runs use the same one. @default 'llmteam:' */
  keyPrefix?: string;
  /** How long a cached snapshot lives, in seconds. @default 86400 */
  snapshotTtlSeconds?: number;
  /** How long `init()` waits for Redis, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** The defaults of {@link RedisStoreOptions}. */
export const REDIS_STORE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'llmteam:',
  snapshotTtlSeconds: 86_400,
  connectTimeoutMs: 5000,
} as const;

/** What a node publishes per commit. */
interface BusMessage {
  /** Publishing node. */
  o: string;
  events: WorktrailEvent[];
}

/**
 * A Store in front of another store: every write goes to the inner store (the source of
 * truth); snapshots are also cached in Redis with a TTL and read from Redis first; and
 * committed events travel between nodes on a Redis channel, so `subscribe` delivers
 * other nodes' events too. Each node delivers every event once, in seq order per run.
 */
export class RedisStore implements Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  private readonly inner: Store;
  private readonly options: Required<Omit<RedisStoreOptions, 'store'>>;
  private readonly nodeId = randomUUID();
  private readonly channel: string;
  private readonly listeners = new Set<EventListener>();
  private readonly delivery = new OrderedDelivery(
    (tenantId, runId, afterSeq, limit) => this.inner.listEvents(tenantId, runId, { afterSeq, limit }),
    (events) => {
      for (const listener of this.listeners) {
        try {
          listener(events);
        } catch {
          // A failing listener must not stop delivery to the others.
        }
      }
    },
  );
  private deliveries: Promise<void> = Promise.resolve();
  private redis?: Redis;
  private sub?: Redis;

  constructor(options: RedisStoreOptions) {
    if (!options?.store || typeof options.store.commit !== 'function') {
      throw new RedisStoreError(
        'LLMT_E_REDIS_INVALID_OPTION',
        'redis store: the `store` option must be the store to wrap, e.g. createRedisStore({ store: createPostgresStore({ url }) })',
      );
    }
    this.inner = options.store;
    this.options = { ...REDIS_STORE_DEFAULTS, ...stripUndefined(options) } as Required<
      Omit<RedisStoreOptions, 'store'>
    >;
    if (!(this.options.snapshotTtlSeconds > 0)) {
      throw new RedisStoreError(
        'LLMT_E_REDIS_INVALID_OPTION',
        `redis store: snapshotTtlSeconds must be a positive number of seconds, got ${this.options.snapshotTtlSeconds}`,
      );
    }
    this.name = `${describeUrl(this.options.url)}+${this.inner.name}`;
    this.capabilities = {
      multiProcess: this.inner.capabilities.multiProcess,
      crossProcessEvents: true,
      durable: this.inner.capabilities.durable,
    };
    this.channel = `${this.options.keyPrefix}events`;
  }

  async init(): Promise<void> {
    await this.inner.init();
    if (this.redis) return;
    const redis = new Redis(this.options.url, {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs,
      maxRetriesPerRequest: 2,
      retryStrategy: (n) => Math.min(n * 200, 2000),
    });
    const sub = redis.duplicate();
    try {
      await Promise.all([connectOnce(redis), connectOnce(sub)]);
      sub.on('message', (channel: string, message: string) => {
        if (channel === this.channel) this.onMessage(message);
      });
      await sub.subscribe(this.channel);
    } catch (error) {
      redis.disconnect();
      sub.disconnect();
      throw new RedisStoreError(
        'LLMT_E_REDIS_UNREACHABLE',
        `${describeUrl(this.options.url)}: cannot connect (${(error as Error).message}). Check that Redis runs at this host and port and accepts the credentials, or fix the store \`url\` option.`,
        { cause: error, details: { store: this.name } },
      );
    }
    this.redis = redis;
    this.sub = sub;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const { redis, sub } = this;
    this.redis = this.sub = undefined;
    await Promise.all([
      sub?.quit().catch(() => sub.disconnect()),
      redis?.quit().catch(() => redis.disconnect()),
    ]);
    await this.inner.close();
  }

  private snapshotKey(tenantId: string, snapshotId: string): string {
    return `${this.options.keyPrefix}snapshot:${tenantId}:${snapshotId}`;
  }

  async commit(commit: Commit): Promise<CommitResult> {
    const result = await this.inner.commit(commit);
    const redis = this.redis;
    if (redis && (commit.snapshots?.length || commit.events?.length)) {
      const batch = redis.multi();
      for (const s of commit.snapshots ?? [])
        batch.set(
          this.snapshotKey(s.tenantId, s.snapshotId),
          JSON.stringify(s),
          'EX',
          this.options.snapshotTtlSeconds,
        );
      if (commit.events?.length)
        batch.publish(
          this.channel,
          JSON.stringify({ o: this.nodeId, events: commit.events } satisfies BusMessage),
        );
      // The commit already happened in the source of truth: a cache or bus failure only
      // costs a cache miss later, or a reconnecting subscriber's `afterSeq` catch-up.
      await batch.exec().catch(() => undefined);
    }
    if (commit.events?.length && this.listeners.size) this.deliver(commit.events);
    return result;
  }

  async getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    const key = this.snapshotKey(tenantId, snapshotId);
    const cached = await this.redis?.get(key).catch(() => null);
    if (cached) {
      try {
        return JSON.parse(cached) as SnapshotRecord;
      } catch {
        // A damaged cache entry: drop it and read the source of truth.
        await this.redis?.del(key).catch(() => undefined);
      }
    }
    const snapshot = await this.inner.getSnapshot(tenantId, snapshotId);
    if (snapshot)
      await this.redis
        ?.set(key, JSON.stringify(snapshot), 'EX', this.options.snapshotTtlSeconds)
        .catch(() => undefined);
    return snapshot;
  }

  async eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void> {
    const keys = (await this.inner.listSnapshots(tenantId, runId)).map((s) =>
      this.snapshotKey(tenantId, s.snapshotId),
    );
    if (keys.length) await this.redis?.del(...keys);
    await this.inner.eraseRun(tenantId, runId, audit);
    // Again after the erasure: a read racing with it may have re-cached a copy.
    if (keys.length) await this.redis?.del(...keys);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private onMessage(message: string): void {
    let parsed: BusMessage;
    try {
      parsed = JSON.parse(message) as BusMessage;
    } catch {
      return;
    }
    // This node delivered its own commits when they returned.
    if (parsed.o === this.nodeId || !parsed.events?.length || !this.listeners.size) return;
    this.deliver(parsed.events);
  }

  /** Hands other nodes' events on once and in order (one delivery at a time). */
  private deliver(events: WorktrailEvent[]): void {
    this.deliveries = this.deliveries.then(() => {
      if (!this.listeners.size) this.delivery.clear();
      else return this.delivery.deliver(events);
    });
  }

  // Everything else reads and writes the source of truth.
  getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.inner.getRun(tenantId, runId);
  }
  findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined> {
    return this.inner.findRunByIdempotencyKey(tenantId, key);
  }
  listRuns(tenantId: string, options?: ListRunsOptions): Promise<Page<RunRecord>> {
    return this.inner.listRuns(tenantId, options);
  }
  getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]> {
    return this.inner.getSteps(tenantId, runId);
  }
  listEvents(tenantId: string, runId: string, options?: ListEventsOptions): Promise<WorktrailEvent[]> {
    return this.inner.listEvents(tenantId, runId, options);
  }
  /** Event queries go to the durable store (with its indexes); the cache holds no events. */
  queryEvents(tenantId: string, query: EventQuery): Promise<Page<WorktrailEvent>> {
    return queryEvents(this.inner, tenantId, query);
  }
  getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined> {
    return this.inner.getInteraction(tenantId, interactionId);
  }
  listInteractions(tenantId: string, options?: ListInteractionsOptions): Promise<InteractionRecord[]> {
    return this.inner.listInteractions(tenantId, options);
  }
  listTimers(tenantId: string, runId: string): Promise<TimerRecord[]> {
    return this.inner.listTimers(tenantId, runId);
  }
  listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    return this.inner.listSnapshots(tenantId, runId);
  }
  listAudit(tenantId: string, range?: { from?: string; to?: string }): Promise<AuditRecord[]> {
    return this.inner.listAudit(tenantId, range);
  }
  claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    return this.inner.claimDueTimers(options);
  }
  nextTimerDue(): Promise<string | undefined> {
    return this.inner.nextTimerDue();
  }
  claimRuns(options: LeaseOptions & { limit: number }): Promise<Array<{ tenantId: string; runId: string }>> {
    return this.inner.claimRuns(options);
  }
  acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    return this.inner.acquireLease(tenantId, runId, options);
  }
  releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    return this.inner.releaseLease(tenantId, runId, owner);
  }
  putTenant(tenant: TenantRecord): Promise<void> {
    return this.inner.putTenant(tenant);
  }
  getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    return this.inner.getTenant(tenantId);
  }
  listTenants(): Promise<TenantRecord[]> {
    return this.inner.listTenants();
  }
  putApiKey(key: ApiKeyRecord): Promise<void> {
    return this.inner.putApiKey(key);
  }
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    return this.inner.findApiKeyByHash(secretHash);
  }
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.inner.listApiKeys(tenantId);
  }
  putSegment(segment: SegmentRecord): Promise<void> {
    return this.inner.putSegment(segment);
  }
  getSegment(tenantId: string, segmentId: string, version?: string): Promise<SegmentRecord | undefined> {
    return this.inner.getSegment(tenantId, segmentId, version);
  }
  listSegments(tenantId: string): Promise<SegmentRecord[]> {
    return this.inner.listSegments(tenantId);
  }
}

/** Connects, failing fast instead of retrying forever. */
async function connectOnce(redis: Redis): Promise<void> {
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
  };
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    throw lastError ?? error;
  }
}

/** `redis:<host>:<port>`: never the password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `redis:${u.hostname || '127.0.0.1'}:${u.port || '6379'}`;
  } catch {
    return 'redis:<unparseable url>';
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([k, v]) => v !== undefined && k !== 'store'),
  ) as Partial<T>;
}

/**
 * Puts Redis in front of a store: a snapshot cache with a TTL and a cross-node event bus.
 *
 * ```ts
 * const store = createRedisStore({ store: createPostgresStore({ url }), url: 'redis://127.0.0.1:6379' });
 * await store.init();
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
