import {
  type ProcessMap,
  type ProcessMetrics,
  processMap,
  processMetrics,
} from '../analytics/process-analytics.js';
import type { AuditVerifyOptions } from '../audit/audit-log.js';
import type { AuditCheckpoint, AuditInclusionProof } from '../audit/checkpoint.js';
import type { AuditVerification } from '../audit/hash-chain.js';
import type { ComplianceReport } from '../compliance/compliance-types.js';
import { LlmteamError } from '../errors.js';
import type { ProcessLogQuery } from '../export/process-log.js';
import type { TokenTotals } from '../llm/token-usage.js';
import { type EventQuery, queryEvents } from '../store/event-query.js';
import type {
  ApiKeyRecord,
  AuditRecord,
  InteractionRecord,
  InteractionStatus,
  ListEventsOptions,
  ListRunsOptions,
  Page,
  RunRecord,
  SegmentRecord,
  SnapshotQuery,
  SnapshotRecord,
  StepStateRecord,
  TenantRecord,
  WorktrailEvent,
} from '../store/types.js';
import { checkApiKeyLimit } from '../tenancy/registry-limits.js';
import type { InvokeOptions, InvokeResult } from './invoke.js';
import type {
  Actor,
  AuditListQuery,
  CreateSnapshotOptions,
  Engine,
  RespondOptions,
  RunView,
  StartRunOptions,
  WaitingOn,
} from './types.js';
import type { UnsealOptions, UnsealResult } from './unseal.js';

/** A process-analytics query through a {@link TenantEngine}: the tenant and the engine's catalog are filled in. */
export type TenantProcessQuery = Omit<ProcessLogQuery, 'tenantId' | 'catalog'>;

/** An answer given through a {@link TenantEngine}: tenant and actor come from the facade. */
export type TenantAnswer = Omit<RespondOptions, 'tenantId' | 'actor'>;

/**
 * The engine seen from one tenant, acting as one actor: every read and command is scoped
 * to the tenant, and an id of another tenant's run, snapshot or interaction is refused as
 * not found before the engine is called. What a gateway or CLI hands a caller instead of
 * the engine and its store.
 */
export interface TenantEngine {
  readonly tenantId: string;
  readonly actor: Actor;

  /** The tenant's record; undefined when it does not exist. */
  getTenant(): Promise<TenantRecord | undefined>;
  /** Creates or replaces the tenant's own record. */
  putTenant(record: Omit<TenantRecord, 'tenantId'>): Promise<TenantRecord>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /**
   * Stores a key of this tenant (a record of another tenant is refused).
   * @throws `LLMT_E_TENANT_NOT_FOUND`, `LLMT_E_TENANT_SUSPENDED`, `LLMT_E_LIMIT_EXCEEDED` (`api_keys`)
   */
  putApiKey(record: ApiKeyRecord): Promise<void>;
  /**
   * Marks a key of this tenant revoked at `at` (an ISO time); revoking a revoked key keeps
   * its first revocation time. @throws `LLMT_E_API_KEY_NOT_FOUND` for a key of no such id
   */
  revokeApiKey(keyId: string, at: string): Promise<ApiKeyRecord>;

  listSegments(): Promise<SegmentRecord[]>;
  getSegment(segmentId: string, version?: string): Promise<SegmentRecord | undefined>;
  upsertSegment(definition: unknown): Promise<SegmentRecord>;

  /** Newest first. */
  listRuns(options?: ListRunsOptions): Promise<Page<RunRecord>>;
  /** The run with its steps; undefined when the tenant has no such run. */
  getRun(runId: string): Promise<RunView | undefined>;
  getSteps(runId: string): Promise<StepStateRecord[]>;
  listEvents(runId: string, options?: ListEventsOptions): Promise<WorktrailEvent[]>;
  listSnapshots(runId: string): Promise<SnapshotRecord[]>;
  waitingOn(runId: string): Promise<WaitingOn>;
  startRun(options: Omit<StartRunOptions, 'tenantId' | 'actor'>): Promise<RunRecord>;
  /** Starts a run and returns when it ends or waits (see `Engine.invoke`). */
  invoke(
    segmentId: string,
    input?: unknown,
    options?: Omit<InvokeOptions, 'tenantId' | 'actor'>,
  ): Promise<InvokeResult>;
  cancelRun(runId: string, reason?: string): Promise<RunRecord>;
  pauseRun(runId: string): Promise<RunRecord>;
  resumeRun(runId: string): Promise<RunRecord>;
  createSnapshot(
    runId: string,
    options?: Omit<CreateSnapshotOptions, 'tenantId' | 'actor'>,
  ): Promise<SnapshotRecord>;
  /** The tenant's snapshots by run, segment or reason, newest first. */
  querySnapshots(query?: SnapshotQuery): Promise<Page<SnapshotRecord>>;
  /** The newest snapshot matching `query`, if any. */
  latestSnapshot(query?: Omit<SnapshotQuery, 'limit' | 'after'>): Promise<SnapshotRecord | undefined>;
  /** Deletes a snapshot of this tenant (audited); returns it. */
  deleteSnapshot(snapshotId: string): Promise<SnapshotRecord>;
  /** Puts the snapshot's run back to its state and continues it. */
  restoreSnapshot(snapshotId: string): Promise<RunRecord>;
  forkRun(snapshotId: string): Promise<RunRecord>;
  /** Opens a run's sealed input (or a step's sealed outputs), audited as `run.unsealed`. */
  unseal(runId: string, options?: UnsealOptions): Promise<UnsealResult>;

  /** Stored events after `afterSeq`, then live ones (the run is checked first). */
  events(
    runId: string,
    options?: { afterSeq?: number; signal?: AbortSignal; progress?: boolean },
  ): Promise<AsyncIterableIterator<WorktrailEvent>>;
  /** Token usage of a run's model calls, in all and per step (the run is checked first). */
  tokenUsage(runId: string): Promise<{ total: TokenTotals; steps: Map<string, TokenTotals> }>;
  /** Token usage of this tenant's model calls between two times. */
  tenantTokenUsage(range: { from?: string; to?: string }): Promise<TokenTotals>;
  /** Live events of this tenant only. */
  onEvent(listener: (event: WorktrailEvent) => void, filter?: { types?: string[] }): () => void;
  /** Stored events of this tenant across runs, filtered and paged (see `queryEvents`). */
  queryEvents(query?: EventQuery): Promise<Page<WorktrailEvent>>;

  /** Directly-follows map of the tenant's runs of a segment (see `processMap`). */
  processMap(query: TenantProcessQuery): Promise<ProcessMap>;
  /** Throughput, waiting, rework and SLA metrics of the tenant's runs of a segment (see `processMetrics`). */
  processMetrics(query: TenantProcessQuery): Promise<ProcessMetrics>;

  getInteraction(interactionId: string): Promise<InteractionRecord | undefined>;
  listInteractions(query?: {
    status?: InteractionStatus | InteractionStatus[];
    assignee?: string;
    runId?: string;
    /** The first N open requests in SLA order (see `ListInteractionsQuery.limit`). */
    limit?: number;
    /** With `limit`: the page after this `interactionDueKey`. */
    after?: string;
  }): Promise<InteractionRecord[]>;
  /** Answers as the facade's actor. */
  respond(interactionId: string, answer: TenantAnswer): Promise<InteractionRecord>;

  listAudit(range?: AuditListQuery): Promise<AuditRecord[]>;
  /** Recomputes the tenant's audit chain against its newest checkpoint (or the one given). */
  verifyAudit(options?: AuditVerifyOptions): Promise<AuditVerification>;
  /** Signs, stores and anchors a checkpoint of this tenant's audit log now. */
  auditCheckpoint(): Promise<AuditCheckpoint>;
  /** This tenant's compliance report over `[from, to]` (ISO 8601, inclusive). */
  complianceReport(range: { from: string; to: string }): Promise<ComplianceReport>;
  /** This tenant's newest stored audit checkpoint. */
  latestAuditCheckpoint(): Promise<AuditCheckpoint | undefined>;
  /** Merkle inclusion proof of audit entry `seq` against a signed checkpoint. */
  auditProof(seq: number): Promise<AuditInclusionProof>;
}

/** Refusal of an object that is not in the tenant (the same whether it exists elsewhere or not). */
function notFound(code: string, what: string, id: string): LlmteamError {
  return new LlmteamError(code, `No ${what} "${id}" in this tenant`, { details: { id } });
}

/** Builds the tenant-scoped facade of `engine` (see `Engine.forTenant`). */
export function createTenantEngine(engine: Engine, tenantId: string, actor: Actor): TenantEngine {
  if (typeof tenantId !== 'string' || tenantId === '' || tenantId === '*') {
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `forTenant needs a tenant id, got ${String(tenantId)}`);
  }
  const store = engine.store;
  const scope = { tenantId, actor };
  // Registry writes through the facade are audited as the facade's actor.
  const change = { actor: actor.subject };
  const run = async (runId: string): Promise<RunRecord> => {
    const found = await store.getRun(tenantId, runId);
    if (!found || found.tenantId !== tenantId) throw notFound('LLMT_E_RUN_NOT_FOUND', 'run', runId);
    return found;
  };
  const snapshot = async (snapshotId: string): Promise<void> => {
    const found = await store.getSnapshot(tenantId, snapshotId);
    if (!found || found.tenantId !== tenantId)
      throw notFound('LLMT_E_SNAPSHOT_NOT_FOUND', 'snapshot', snapshotId);
  };
  const interaction = async (id: string): Promise<InteractionRecord | undefined> => {
    const found = await store.getInteraction(tenantId, id);
    return found && found.tenantId === tenantId ? found : undefined;
  };
  const ownKey = (record: ApiKeyRecord) => {
    if (record.tenantId !== tenantId)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `API key "${record.keyId}" belongs to tenant "${record.tenantId}", not "${tenantId}"`,
      );
  };

  return {
    tenantId,
    actor,
    getTenant: async () => {
      const found = await store.getTenant(tenantId);
      return found && found.tenantId === tenantId ? found : undefined;
    },
    putTenant: async (record) => {
      const full: TenantRecord = { ...record, tenantId };
      await store.putTenant(full, change);
      return full;
    },
    listApiKeys: async () => (await store.listApiKeys(tenantId)).filter((k) => k.tenantId === tenantId),
    putApiKey: async (record) => {
      ownKey(record);
      const tenant = await engine.tenants.require(tenantId);
      await checkApiKeyLimit(store, record, engine.tenants.effective(tenant));
      await store.putApiKey(record, change);
    },
    revokeApiKey: async (keyId, at) => {
      const found = (await store.listApiKeys(tenantId)).find(
        (k) => k.keyId === keyId && k.tenantId === tenantId,
      );
      if (!found) throw notFound('LLMT_E_API_KEY_NOT_FOUND', 'API key', keyId);
      if (found.revokedAt) return found;
      const revoked = { ...found, revokedAt: at };
      await store.putApiKey(revoked, change);
      return revoked;
    },

    listSegments: () => store.listSegments(tenantId),
    getSegment: async (segmentId, version) => {
      const found = await store.getSegment(tenantId, segmentId, version);
      return found && found.tenantId === tenantId ? found : undefined;
    },
    upsertSegment: (definition) => engine.upsertSegment(definition, scope),

    listRuns: (options) => store.listRuns(tenantId, options),
    getRun: async (runId) => {
      const view = await engine.getRun(runId, scope);
      return view && view.run.tenantId === tenantId ? view : undefined;
    },
    getSteps: async (runId) => {
      await run(runId);
      return store.getSteps(tenantId, runId);
    },
    listEvents: async (runId, options) => {
      await run(runId);
      return store.listEvents(tenantId, runId, options);
    },
    listSnapshots: async (runId) => {
      await run(runId);
      return store.listSnapshots(tenantId, runId);
    },
    waitingOn: async (runId) => {
      await run(runId);
      return engine.waitingOn(runId, scope);
    },
    startRun: (options) => engine.startRun({ ...options, ...scope }),
    invoke: (segmentId, input, options) => engine.invoke(segmentId, input, { ...options, ...scope }),
    cancelRun: async (runId, reason) => {
      await run(runId);
      return engine.cancelRun(runId, { ...scope, ...(reason ? { reason } : {}) });
    },
    pauseRun: async (runId) => {
      await run(runId);
      return engine.pauseRun(runId, scope);
    },
    resumeRun: async (runId) => {
      await run(runId);
      return engine.resumeRun(runId, scope);
    },
    createSnapshot: async (runId, options = {}) => {
      await run(runId);
      return engine.createSnapshot(runId, { ...options, ...scope });
    },
    querySnapshots: async (query = {}) => {
      const page = await engine.querySnapshots({ ...query, ...scope });
      return { ...page, items: page.items.filter((s) => s.tenantId === tenantId) };
    },
    latestSnapshot: async (query = {}) => {
      const found = await engine.latestSnapshot({ ...query, ...scope });
      return found?.tenantId === tenantId ? found : undefined;
    },
    deleteSnapshot: async (snapshotId) => {
      await snapshot(snapshotId);
      return engine.deleteSnapshot(snapshotId, scope);
    },
    restoreSnapshot: async (snapshotId) => {
      await snapshot(snapshotId);
      return engine.restoreSnapshot(snapshotId, scope);
    },
    forkRun: async (snapshotId) => {
      await snapshot(snapshotId);
      return engine.forkRun(snapshotId, scope);
    },
    unseal: async (runId, options = {}) => {
      await run(runId);
      return engine.unseal(runId, { ...options, ...scope });
    },

    events: async (runId, options = {}) => {
      await run(runId);
      return engine.events(runId, {
        ...scope,
        afterSeq: options.afterSeq ?? 0,
        signal: options.signal,
        progress: options.progress,
      });
    },
    tokenUsage: async (runId) => {
      await run(runId);
      return engine.tokenUsage(runId, scope);
    },
    tenantTokenUsage: (range) => engine.tenantTokenUsage(range, scope),
    onEvent: (listener, filter = {}) =>
      engine.onEvent(
        (event) => {
          if (event.tenant_id === tenantId) listener(event);
        },
        { tenantId, ...(filter.types?.length ? { types: filter.types } : {}) },
      ),
    queryEvents: async (query = {}) => {
      const page = await queryEvents(store, tenantId, query);
      return { ...page, items: page.items.filter((e) => e.tenant_id === tenantId) };
    },

    processMap: (query) => processMap(store, { ...query, tenantId, catalog: engine.catalog }),
    processMetrics: (query) => processMetrics(store, { ...query, tenantId, catalog: engine.catalog }),

    getInteraction: interaction,
    listInteractions: async (query = {}) =>
      (await engine.listInteractions({ ...query, ...scope })).filter((r) => r.tenantId === tenantId),
    respond: async (interactionId, answer) => {
      if (!(await interaction(interactionId)))
        throw notFound('LLMT_E_INTERACTION_NOT_FOUND', 'interaction', interactionId);
      return engine.respond(interactionId, { ...answer, ...scope });
    },

    listAudit: (range = {}) => engine.listAudit({ ...scope, ...range }),
    verifyAudit: (options = {}) => engine.verifyAudit({ ...options, ...scope }),
    auditCheckpoint: () => engine.audit.checkpoint(tenantId),
    complianceReport: (range) => engine.complianceReport({ ...range, ...scope }),
    latestAuditCheckpoint: () => engine.audit.latestCheckpoint(tenantId),
    auditProof: (seq) => engine.audit.proof(tenantId, seq),
  };
}
