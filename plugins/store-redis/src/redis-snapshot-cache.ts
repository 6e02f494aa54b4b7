import type { SnapshotCache, SnapshotRecord } from '@llmteam/core';
import type { RedisConnection } from './redis-connection.js';

/** Snapshots cached in Redis under `<keyPrefix>snapshot:<tenant>:<id>`, each with a TTL. */
export class RedisSnapshotCache implements SnapshotCache {
  constructor(
    readonly name: string,
    private readonly connection: RedisConnection,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
  ) {}

  init(): Promise<void> {
    return this.connection.init();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private key(tenantId: string, snapshotId: string): string {
    return `${this.keyPrefix}snapshot:${tenantId}:${snapshotId}`;
  }

  async get(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    const redis = this.connection.redis;
    const key = this.key(tenantId, snapshotId);
    const cached = await redis?.get(key).catch(() => null);
    if (!cached) return undefined;
    try {
      return JSON.parse(cached) as SnapshotRecord;
    } catch {
      // A damaged cache entry: drop it; the caller reads the source of truth.
      await redis?.del(key).catch(() => undefined);
      return undefined;
    }
  }

  async put(snapshots: readonly SnapshotRecord[]): Promise<void> {
    const redis = this.connection.redis;
    if (!redis) return;
    const batch = redis.multi();
    for (const s of snapshots)
      batch.set(this.key(s.tenantId, s.snapshotId), JSON.stringify(s), 'EX', this.ttlSeconds);
    await batch.exec();
  }

  async delete(tenantId: string, snapshotIds: readonly string[]): Promise<void> {
    if (snapshotIds.length)
      await this.connection.redis?.del(...snapshotIds.map((id) => this.key(tenantId, id)));
  }
}
