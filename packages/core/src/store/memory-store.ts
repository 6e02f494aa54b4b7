import { checkAuditPage } from '../audit/audit-pages.js';
import { auditRowOf, chainAuditEntry } from '../audit/hash-chain.js';
import { InMemoryAuditCheckpoints } from '../audit/in-memory-checkpoints.js';
import { ConcurrencyError, LeaseHeldError } from '../errors.js';
import { InMemoryAgentMemory } from '../memory/in-memory-agent-memory.js';
import { admissionRefusal } from '../tenancy/tenant-limits.js';
import { checkCommit } from './check-commit.js';
import {
  compareEvents,
  type EventQuery,
  eventMatches,
  eventPage,
  normalizeEventQuery,
} from './event-query.js';
import { selectInteractions, selectSnapshots } from './memory-queries.js';
import { draftRegistryAudit } from './registry-audit.js';
import { type RetentionSweepOptions, type RetentionSweepResult, sweptTenants } from './retention-types.js';
import { TERMINAL_RUN_STATUSES } from './run-records.js';
import type {
  ApiKeyRecord,
  AuditDraft,
  AuditPageQuery,
  AuditRecord,
  AuditRow,
  Commit,
  CommitAdmission,
  CommitResult,
  EventListener,
  InteractionRecord,
  LeaseOptions,
  ListEventsOptions,
  ListInteractionsOptions,
  ListRunsOptions,
  Page,
  RegistryChange,
  RunRecord,
  RunState,
  RunStateQuery,
  SegmentRecord,
  SnapshotQuery,
  SnapshotRecord,
  StepStateRecord,
  Store,
  StoreCapabilities,
  TenantRecord,
  TimerRecord,
  WorktrailEvent,
} from './types.js';
import { OPEN_INTERACTION_STATUSES } from './types.js';

/** Shared empty list: a commit without a part allocates nothing for it. */
const NONE: readonly never[] = [];
/** The result of a commit without audit entries (frozen: shared by every such commit). */
const NOTHING: CommitResult = Object.freeze({ audit: Object.freeze([]) as unknown as AuditRecord[] });

interface RunSlot {
  run: RunRecord;
  steps: Map<string, StepStateRecord>;
  events: WorktrailEvent[];
  lease?: { owner: string; until: number };
  /** The run's interactions by id. */
  interactions?: Map<string, InteractionRecord>;
  /** Position in creation order, for listing newest first. */
  order: number;
}

/**
 * A store that keeps everything in process memory: fast, for tests, benchmarks and
 * single-process use where losing state on exit is acceptable. It keeps references to the
 * records it is given; the engine never mutates a record after committing it.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  /** Agent memory entries (the `memory` role). */
  readonly memory = new InMemoryAgentMemory();
  /** Signed audit checkpoints (the `auditCheckpoints` role). */
  readonly auditCheckpoints = new InMemoryAuditCheckpoints();
  readonly capabilities: StoreCapabilities = {
    multiProcess: false,
    crossProcessEvents: false,
    durable: false,
    commitLease: true,
    commitAdmission: true,
  };

  private runs = new Map<string, RunSlot>();
  /** The same slots by tenant, then run id: a lookup hashes the caller's ids, no key string is built. */
  private runsByTenant = new Map<string, Map<string, RunSlot>>();
  private idempotency = new Map<string, string>();
  private interactions = new Map<string, InteractionRecord>();
  private timers = new Map<string, TimerRecord & { leaseOwner?: string; leaseUntil?: number }>();
  private snapshots = new Map<string, SnapshotRecord>();
  private audit = new Map<string, AuditRecord[]>();
  private tenants = new Map<string, TenantRecord>();
  private apiKeys = new Map<string, ApiKeyRecord>();
  private segments = new Map<string, SegmentRecord[]>();
  private listeners = new Set<EventListener>();
  private runOrder = 0;

  async init(): Promise<void> {}
  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** What an admission counts in a tenant now (see `Commit.admit`). */
  private countAdmission(tenantId: string, check: CommitAdmission): number {
    let count = 0;
    if (check.count === 'open_interactions') {
      for (const i of this.interactions.values())
        if (i.tenantId === tenantId && OPEN_INTERACTION_STATUSES.includes(i.status)) count++;
      return count;
    }
    for (const { run } of this.runs.values()) {
      if (run.tenantId !== tenantId) continue;
      if (check.statuses && !check.statuses.includes(run.status)) continue;
      if (check.createdSince && run.createdAt < check.createdSince) continue;
      count++;
    }
    return count;
  }

  private slotOf(tenantId: string, runId: string): RunSlot | undefined {
    return this.runsByTenant.get(tenantId)?.get(runId);
  }

  private key(tenantId: string, id: string): string {
    return `${tenantId}\u0000${id}`;
  }

  async commit(commit: Commit): Promise<CommitResult> {
    const { prevSeq } = checkCommit(commit);
    const slot = this.slotOf(commit.tenantId, commit.runId);
    // Every check happens before the first write, so a failed commit leaves nothing.
    if (commit.expectedVersion === 0) {
      if (slot) throw new ConcurrencyError(`run ${commit.runId} already exists`);
      if (
        commit.run.idempotencyKey &&
        this.idempotency.has(this.key(commit.tenantId, commit.run.idempotencyKey))
      ) {
        throw new ConcurrencyError(`idempotency key ${commit.run.idempotencyKey} is taken by another run`);
      }
    } else if (!slot || slot.run.version !== commit.expectedVersion || slot.run.lastSeq !== prevSeq) {
      throw new ConcurrencyError(
        `run ${commit.runId} is at version ${slot?.run.version ?? 'none'} (last seq ${slot?.run.lastSeq ?? 'none'}), expected version ${commit.expectedVersion} (last seq ${prevSeq})`,
      );
    }
    for (const id of commit.timers?.consume ?? NONE) {
      if (!this.timers.has(this.key(commit.tenantId, id)))
        throw new ConcurrencyError(`timer ${id} already fired`);
    }
    for (const check of commit.admit ?? NONE) {
      const used = this.countAdmission(commit.tenantId, check);
      if (used >= check.max) throw admissionRefusal(commit.tenantId, check, used);
    }
    const lease = commit.lease;
    const leaseNow = lease ? Date.parse(lease.now) : 0;
    if (lease && slot?.lease && slot.lease.owner !== lease.owner && slot.lease.until > leaseNow)
      throw new LeaseHeldError(
        `run ${commit.runId} is leased by ${slot.lease.owner} until ${new Date(slot.lease.until).toISOString()}; the commit of ${lease.owner} was not applied`,
      );

    const target: RunSlot = slot ?? { run: commit.run, steps: new Map(), events: [], order: this.runOrder++ };
    target.run = commit.run;
    if (!slot) {
      this.runs.set(this.key(commit.tenantId, commit.runId), target);
      let tenantRuns = this.runsByTenant.get(commit.tenantId);
      if (!tenantRuns) {
        tenantRuns = new Map();
        this.runsByTenant.set(commit.tenantId, tenantRuns);
      }
      tenantRuns.set(commit.runId, target);
      if (commit.run.idempotencyKey)
        this.idempotency.set(this.key(commit.tenantId, commit.run.idempotencyKey), commit.runId);
    }
    for (const step of commit.steps ?? NONE) target.steps.set(step.stepId, step);
    if (commit.events?.length) for (const e of commit.events) target.events.push(e);
    if (lease)
      target.lease = lease.leaseMs > 0 ? { owner: lease.owner, until: leaseNow + lease.leaseMs } : undefined;
    if (commit.interactions?.length) {
      target.interactions ??= new Map();
      for (const i of commit.interactions) {
        this.interactions.set(this.key(i.tenantId, i.interactionId), i);
        target.interactions.set(i.interactionId, i);
      }
    }
    for (const id of commit.timers?.consume ?? NONE) this.timers.delete(this.key(commit.tenantId, id));
    for (const id of commit.timers?.remove ?? NONE) this.timers.delete(this.key(commit.tenantId, id));
    // A copy: claims write lease fields onto the stored timer, never onto the caller's record.
    for (const t of commit.timers?.add ?? NONE) this.timers.set(this.key(t.tenantId, t.timerId), { ...t });
    for (const s of commit.snapshots ?? NONE) this.snapshots.set(this.key(s.tenantId, s.snapshotId), s);
    const result = commit.audit?.length ? { audit: commit.audit.map((d) => this.appendAudit(d)) } : NOTHING;
    if (commit.events?.length && this.listeners.size) this.emit(commit.events);
    return result;
  }

  private appendAudit(draft: AuditDraft): AuditRecord {
    let chain = this.audit.get(draft.tenantId);
    if (!chain) {
      chain = [];
      this.audit.set(draft.tenantId, chain);
    }
    const record = chainAuditEntry(draft, chain[chain.length - 1]);
    chain.push(record);
    return record;
  }

  private emit(events: WorktrailEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // A failing listener must not break the commit that already happened.
      }
    }
  }

  async getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.slotOf(tenantId, runId)?.run;
  }

  async readRunState(tenantId: string, query: RunStateQuery): Promise<RunState | undefined> {
    const named = query.interactionId
      ? this.interactions.get(this.key(tenantId, query.interactionId))
      : undefined;
    const runId = query.runId ?? named?.runId;
    const slot = runId === undefined ? undefined : this.slotOf(tenantId, runId);
    if (!slot) return undefined;
    const interactions: InteractionRecord[] = [];
    for (const i of slot.interactions?.values() ?? NONE)
      if (i === named || OPEN_INTERACTION_STATUSES.includes(i.status)) interactions.push(i);
    return {
      run: slot.run,
      steps: [...slot.steps.values()],
      interactions,
      ...(slot.lease
        ? { lease: { owner: slot.lease.owner, until: new Date(slot.lease.until).toISOString() } }
        : {}),
    };
  }

  async findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined> {
    const runId = this.idempotency.get(this.key(tenantId, key));
    return runId ? this.getRun(tenantId, runId) : undefined;
  }

  async listRuns(tenantId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    const limit = options.limit ?? 50;
    const after = options.after === undefined ? Number.POSITIVE_INFINITY : Number(options.after);
    const matching = [...this.runs.values()]
      .filter(
        (s) =>
          s.run.tenantId === tenantId &&
          s.order < after &&
          (!options.status || s.run.status === options.status) &&
          (!options.segmentId || s.run.segmentId === options.segmentId),
      )
      .sort((a, b) => b.order - a.order);
    const page = matching.slice(0, limit);
    return {
      items: page.map((s) => s.run),
      nextCursor: matching.length > limit ? String(page[page.length - 1].order) : undefined,
    };
  }

  async getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]> {
    return [...(this.slotOf(tenantId, runId)?.steps.values() ?? [])];
  }

  async listEvents(
    tenantId: string,
    runId: string,
    options: ListEventsOptions = {},
  ): Promise<WorktrailEvent[]> {
    const events = this.slotOf(tenantId, runId)?.events ?? [];
    const afterSeq = options.afterSeq ?? 0;
    // seq n sits at index n - 1: the log is gapless.
    const slice = events.slice(afterSeq);
    return options.limit === undefined ? slice : slice.slice(0, options.limit);
  }

  async queryEvents(tenantId: string, query: EventQuery = {}): Promise<Page<WorktrailEvent>> {
    const q = normalizeEventQuery(query);
    const matching: WorktrailEvent[] = [];
    const slots =
      q.runId === undefined ? this.runs.values() : [this.slotOf(tenantId, q.runId)].filter((s) => !!s);
    for (const slot of slots) {
      if (slot.run.tenantId !== tenantId) continue;
      if (q.segmentId !== undefined && slot.run.segmentId !== q.segmentId) continue;
      for (const event of slot.events) if (eventMatches(event, q)) matching.push(event);
    }
    return eventPage(matching.sort(compareEvents), q.limit);
  }

  async getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined> {
    return this.interactions.get(this.key(tenantId, interactionId));
  }

  async listInteractions(
    tenantId: string,
    options: ListInteractionsOptions = {},
  ): Promise<InteractionRecord[]> {
    return selectInteractions(this.interactions.values(), tenantId, options);
  }

  async listTimers(tenantId: string, runId: string): Promise<TimerRecord[]> {
    return [...this.timers.values()]
      .filter((t) => t.tenantId === tenantId && t.runId === runId)
      .map(({ leaseOwner: _o, leaseUntil: _u, ...t }) => t);
  }

  async getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    return this.snapshots.get(this.key(tenantId, snapshotId));
  }

  async listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    return [...this.snapshots.values()]
      .filter((s) => s.tenantId === tenantId && s.runId === runId)
      .sort((a, b) => a.seq - b.seq || (a.createdAt < b.createdAt ? -1 : 1));
  }

  async querySnapshots(tenantId: string, query: SnapshotQuery): Promise<Page<SnapshotRecord>> {
    return selectSnapshots(this.snapshots.values(), tenantId, query);
  }

  async deleteSnapshot(tenantId: string, snapshotId: string, audit: AuditDraft): Promise<boolean> {
    if (!this.snapshots.delete(this.key(tenantId, snapshotId))) return false;
    this.appendAudit(audit);
    return true;
  }

  async listAuditRows(tenantId: string, page: AuditPageQuery): Promise<AuditRow[]> {
    checkAuditPage(page);
    const log = this.audit.get(tenantId) ?? [];
    const after = page.afterSeq ?? 0;
    // Entries sit in seq order: the first one after `after` by binary search.
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return log.slice(lo, lo + page.limit).map(auditRowOf);
  }

  async listAudit(tenantId: string, range: { from?: string; to?: string } = {}): Promise<AuditRecord[]> {
    return (this.audit.get(tenantId) ?? []).filter(
      (r) => (!range.from || r.timestamp >= range.from) && (!range.to || r.timestamp <= range.to),
    );
  }

  async claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    const now = Date.parse(options.now);
    const due = [...this.timers.values()]
      .filter(
        (t) =>
          Date.parse(t.dueAt) <= now &&
          (!t.leaseUntil || t.leaseUntil <= now || t.leaseOwner === options.owner),
      )
      .sort((a, b) => (a.dueAt < b.dueAt ? -1 : 1))
      .slice(0, options.limit);
    for (const t of due) {
      t.leaseOwner = options.owner;
      t.leaseUntil = now + options.leaseMs;
    }
    return due.map(({ leaseOwner: _o, leaseUntil: _u, ...t }) => t);
  }

  async nextTimerDue(): Promise<string | undefined> {
    let min: string | undefined;
    for (const t of this.timers.values()) if (!min || t.dueAt < min) min = t.dueAt;
    return min;
  }

  async claimRuns(
    options: LeaseOptions & { limit: number },
  ): Promise<Array<{ tenantId: string; runId: string }>> {
    const now = Date.parse(options.now);
    const claimed: Array<{ tenantId: string; runId: string }> = [];
    for (const slot of this.runs.values()) {
      if (claimed.length >= options.limit) break;
      if (slot.run.status !== 'pending' && slot.run.status !== 'running') continue;
      if (slot.lease && slot.lease.until > now) continue;
      slot.lease = { owner: options.owner, until: now + options.leaseMs };
      claimed.push({ tenantId: slot.run.tenantId, runId: slot.run.runId });
    }
    return claimed;
  }

  async acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    const slot = this.slotOf(tenantId, runId);
    if (!slot) return false;
    const now = Date.parse(options.now);
    if (slot.lease && slot.lease.owner !== options.owner && slot.lease.until > now) return false;
    slot.lease = { owner: options.owner, until: now + options.leaseMs };
    return true;
  }

  async releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    const slot = this.slotOf(tenantId, runId);
    if (slot?.lease?.owner === owner) slot.lease = undefined;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async putTenant(tenant: TenantRecord, change?: RegistryChange): Promise<void> {
    const previous = this.tenants.get(tenant.tenantId);
    this.tenants.set(tenant.tenantId, tenant);
    this.appendAudit(draftRegistryAudit({ kind: 'tenant', record: tenant, previous }, change));
  }
  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    return this.tenants.get(tenantId);
  }
  async listTenants(): Promise<TenantRecord[]> {
    return [...this.tenants.values()];
  }
  async putApiKey(key: ApiKeyRecord, change?: RegistryChange): Promise<void> {
    const previous = this.apiKeys.get(key.keyId);
    this.apiKeys.set(key.keyId, key);
    this.appendAudit(draftRegistryAudit({ kind: 'api_key', record: key, previous }, change));
  }
  async findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    for (const k of this.apiKeys.values()) if (k.secretHash === secretHash) return k;
    return undefined;
  }
  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return [...this.apiKeys.values()].filter((k) => k.tenantId === tenantId);
  }

  async putSegment(segment: SegmentRecord, change?: RegistryChange): Promise<void> {
    const key = this.key(segment.tenantId, segment.segmentId);
    const stored = this.segments.get(key) ?? [];
    const previous = stored.find((s) => s.version === segment.version);
    const versions = stored.filter((s) => s !== previous);
    versions.push(segment);
    this.segments.set(key, versions);
    this.appendAudit(draftRegistryAudit({ kind: 'segment', record: segment, previous }, change));
  }
  async getSegment(
    tenantId: string,
    segmentId: string,
    version?: string,
  ): Promise<SegmentRecord | undefined> {
    const versions = this.segments.get(this.key(tenantId, segmentId)) ?? [];
    if (version !== undefined) return versions.find((s) => s.version === version);
    return versions[versions.length - 1];
  }
  async listSegments(tenantId: string): Promise<SegmentRecord[]> {
    const latest: SegmentRecord[] = [];
    for (const versions of this.segments.values()) {
      const last = versions[versions.length - 1];
      if (last?.tenantId === tenantId) latest.push(last);
    }
    return latest.sort((a, b) => (a.segmentId < b.segmentId ? -1 : 1));
  }

  /**
   * The `sweepRetention` role: per tenant, deletes terminal runs finished longer ago than
   * `completedRunsSeconds` (with everything derived from them) and snapshots older than
   * `snapshotsSeconds` (checkpoints are kept), with one `retention.swept` audit entry.
   */
  async sweepRetention(options: RetentionSweepOptions): Promise<RetentionSweepResult> {
    const now = Date.parse(options.now);
    const before = (seconds: number | undefined) =>
      seconds === undefined ? undefined : new Date(now - seconds * 1000).toISOString();
    const result: RetentionSweepResult = { tenants: [] };
    for (const { tenantId, retention } of await sweptTenants(this, options)) {
      const runsBefore = before(retention.completedRunsSeconds);
      const snapshotsBefore = before(retention.snapshotsSeconds);
      const runs: string[] = [];
      const snapshotIds: string[] = [];
      if (runsBefore)
        for (const [key, slot] of this.runs) {
          const run = slot.run;
          if (run.tenantId !== tenantId || !TERMINAL_RUN_STATUSES.includes(run.status)) continue;
          if ((run.completedAt ?? run.updatedAt) >= runsBefore) continue;
          for (const s of this.snapshots.values())
            if (s.tenantId === tenantId && s.runId === run.runId) snapshotIds.push(s.snapshotId);
          this.dropRun(tenantId, run.runId, key);
          runs.push(run.runId);
        }
      let snapshots = 0;
      if (snapshotsBefore)
        for (const [key, s] of this.snapshots)
          if (s.tenantId === tenantId && s.createdAt < snapshotsBefore && s.reason !== 'checkpoint') {
            this.snapshots.delete(key);
            snapshotIds.push(s.snapshotId);
            snapshots++;
          }
      if (!runs.length && !snapshots) continue;
      this.appendAudit({
        tenantId,
        action: 'retention.swept',
        actor: options.actor ?? 'system',
        data: { runs, snapshots, policy: { ...retention } },
        timestamp: options.now,
      });
      result.tenants.push({ tenantId, runs, snapshots, snapshotIds });
    }
    return result;
  }

  async eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void> {
    this.dropRun(tenantId, runId, this.key(tenantId, runId));
    this.appendAudit(audit);
  }

  /** Removes a run with everything derived from it. */
  private dropRun(tenantId: string, runId: string, key: string): void {
    const slot = this.runs.get(key);
    if (slot?.run.idempotencyKey) this.idempotency.delete(this.key(tenantId, slot.run.idempotencyKey));
    this.runs.delete(key);
    this.runsByTenant.get(tenantId)?.delete(runId);
    for (const [k, i] of this.interactions)
      if (i.tenantId === tenantId && i.runId === runId) this.interactions.delete(k);
    for (const [k, t] of this.timers) if (t.tenantId === tenantId && t.runId === runId) this.timers.delete(k);
    for (const [k, s] of this.snapshots)
      if (s.tenantId === tenantId && s.runId === runId) this.snapshots.delete(k);
  }
}
