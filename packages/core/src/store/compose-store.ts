import type {
  EventBus,
  EventTransport,
  Registry,
  RunJournal,
  SnapshotCache,
  Store,
  StoreCapabilities,
  WorkQueue,
} from './types.js';
import { STORE_ROLE_METHODS } from './types.js';

/** Options of {@link composeStore}. */
export interface ComposeStoreOptions {
  /** The store that keeps everything: the source of truth for every role not replaced. */
  store: Store;
  /** Replaces the store's event bus: receives each commit's events, serves `subscribe`. */
  events?: EventTransport;
  /** Caches snapshots in front of the store: written on commit, read first, dropped on erasure. */
  snapshots?: SnapshotCache;
  /** @default the parts' names and the store's, joined by `+` (e.g. `redis:127.0.0.1:6379+sqlite:./db`) */
  name?: string;
}

/** The keys of `T` that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];
/** True when a role's method list names every required method of the role (checked at compile time). */
type Complete<Role, Names extends readonly PropertyKey[]> = [
  Exclude<RequiredKeys<Role>, Names[number]>,
] extends [never]
  ? true
  : false;
const complete: [
  Complete<RunJournal, typeof STORE_ROLE_METHODS.journal>,
  Complete<WorkQueue, typeof STORE_ROLE_METHODS.queue>,
  Complete<EventBus, typeof STORE_ROLE_METHODS.bus>,
  Complete<Registry, typeof STORE_ROLE_METHODS.registry>,
] = [true, true, true, true];
void complete;

/**
 * Combines a store with parts that take over one of its roles: an event bus that carries
 * events between processes, a snapshot cache. Every role a part does not provide is the
 * store's own, so a part implements only what it adds.
 *
 * ```ts
 * const store = composeStore({ store: createPostgresStore({ url }), events: myBus });
 * ```
 */
export function composeStore(options: ComposeStoreOptions): Store {
  const { store: base, events, snapshots } = options;
  const composed: Record<string, unknown> = {};
  for (const names of Object.values(STORE_ROLE_METHODS)) {
    for (const name of names) {
      const method = base[name] as (...args: unknown[]) => unknown;
      composed[name] = method.bind(base);
    }
  }
  // Optional journal reads go to the store when it has them.
  if (typeof base.queryEvents === 'function') composed.queryEvents = base.queryEvents.bind(base);
  if (typeof base.listAuditRows === 'function') composed.listAuditRows = base.listAuditRows.bind(base);
  if (typeof base.readRunState === 'function') composed.readRunState = base.readRunState.bind(base);
  if (base.memory) composed.memory = base.memory;
  if (base.auditCheckpoints) composed.auditCheckpoints = base.auditCheckpoints;
  if (typeof base.sweepRetention === 'function') {
    const sweep = base.sweepRetention.bind(base);
    composed.sweepRetention = (async (sweepOptions) => {
      const result = await sweep(sweepOptions);
      // What the sweep deleted must not live on in the cache.
      if (snapshots)
        for (const t of result.tenants)
          if (t.snapshotIds.length) await snapshots.delete(t.tenantId, t.snapshotIds);
      return result;
    }) satisfies NonNullable<Store['sweepRetention']>;
  }
  const parts = [...new Set([events?.name, snapshots?.name].filter((n): n is string => Boolean(n)))];
  const capabilities: StoreCapabilities = {
    ...base.capabilities,
    crossProcessEvents: base.capabilities.crossProcessEvents || (events?.crossProcess ?? false),
  };
  Object.assign(composed, {
    name: options.name ?? [...parts, base.name].join('+'),
    capabilities,
    async init() {
      await base.init();
      await snapshots?.init();
      await events?.init(base);
    },
    async close() {
      try {
        await events?.close();
        await snapshots?.close();
      } finally {
        await base.close();
      }
    },
  } satisfies Partial<Store>);
  if (events) {
    composed.subscribe = events.subscribe.bind(events);
  }
  if (events || snapshots) {
    composed.commit = (async (commit) => {
      const result = await base.commit(commit);
      const after: Array<Promise<void>> = [];
      // The commit already happened in the source of truth: a cache failure only costs a
      // miss later.
      if (snapshots && commit.snapshots?.length) after.push(snapshots.put(commit.snapshots).catch(() => {}));
      if (events && commit.events?.length) after.push(events.publish(commit.events));
      if (after.length) await Promise.all(after);
      return result;
    }) satisfies Store['commit'];
  }
  if (snapshots) {
    composed.getSnapshot = (async (tenantId, snapshotId) => {
      const cached = await snapshots.get(tenantId, snapshotId).catch(() => undefined);
      if (cached) return cached;
      const snapshot = await base.getSnapshot(tenantId, snapshotId);
      if (snapshot) await snapshots.put([snapshot]).catch(() => {});
      return snapshot;
    }) satisfies Store['getSnapshot'];
    composed.deleteSnapshot = (async (tenantId, snapshotId, audit) => {
      // Dropped before and after, as on erasure: a read in between cannot put it back.
      await snapshots.delete(tenantId, [snapshotId]);
      const deleted = await base.deleteSnapshot(tenantId, snapshotId, audit);
      await snapshots.delete(tenantId, [snapshotId]);
      return deleted;
    }) satisfies Store['deleteSnapshot'];
    composed.eraseRun = (async (tenantId, runId, audit) => {
      const ids = (await base.listSnapshots(tenantId, runId)).map((s) => s.snapshotId);
      if (ids.length) await snapshots.delete(tenantId, ids);
      await base.eraseRun(tenantId, runId, audit);
      // Again after the erasure: a read racing with it may have cached a copy again.
      if (ids.length) await snapshots.delete(tenantId, ids);
    }) satisfies Store['eraseRun'];
  }
  return composed as unknown as Store;
}
