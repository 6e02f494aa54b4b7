/**
 * The one registry of audit actions: each `action` name of the tenant's hash-chained audit
 * trail with the shape of its `data` (the detail). Core's engine, interaction desk,
 * actions and registry writes are typed against it, so an unknown action or a wrong
 * detail shape is a compile error. Adding an action is one entry in {@link AuditActionMap}
 * (plus its line in the README's audit table, which a test checks); a plugin augments the
 * interface from its package, as for {@link WorktrailEventMap}.
 */
import type { AuditDraft, Role, SnapshotReason, TenantTier } from '../store/types.js';
import type { ActionCallData } from './event-types.js';

/** Answers a person (or a timer) can give to an interaction; each is audited as `interaction.<action>`. */
export type InteractionAnswerAction =
  | 'approve'
  | 'reject'
  | 'request_changes'
  | 'respond'
  | 'message'
  | 'close'
  | 'timeout';

/** The detail of an `interaction.<answer>` audit entry. */
export type InteractionAnswerAudit = {
  /** True when the answer closed the request. */
  final: boolean;
  comment?: string;
  /** Groups of the subject that answered, as its key carried them. */
  groups: string[];
};

/**
 * Every audit action core appends, keyed by name, with the shape of its `data`
 * (`Record<string, never>` when it carries none). Augment it to register a plugin's own.
 */
export interface AuditActionMap {
  /** A run was started (`target`: the segment id). */
  'run.created': { version: string };
  /** A run was forked from a snapshot (`target`: the snapshot id). */
  'run.forked': { sourceRun: string };
  /** A run was cancelled. */
  'run.cancelled': { reason?: string };
  /** A run was paused. */
  'run.paused': Record<string, never>;
  /** A paused run was resumed. */
  'run.resumed': Record<string, never>;
  /** A finished run and everything of it was erased. */
  'run.erased': { segmentId: string };
  /**
   * Sealed values of a run were opened for a caller allowed to unseal (`target`: the step
   * id, or `input`); `fields` are the sealed paths opened.
   */
  'run.unsealed': { fields: string[]; reason?: string };
  /** A suspended step was resumed by hand (`target`: the step id). */
  'step.resumed': Record<string, never>;
  /** A waiting step received `engine.signal` (`target`: the step id). */
  'step.signalled': Record<string, never>;
  /** A snapshot was taken by hand (`target`: the snapshot id). */
  'snapshot.created': { reason?: SnapshotReason; label?: string };
  /** A snapshot was deleted (`target`: the snapshot id). */
  'snapshot.deleted': { reason: SnapshotReason; label?: string };
  /** A run was restored from a snapshot (`target`: the snapshot id). */
  'snapshot.restored': Record<string, never>;
  /** A request was approved (`target`: the interaction id). */
  'interaction.approve': InteractionAnswerAudit;
  /** A request was rejected. */
  'interaction.reject': InteractionAnswerAudit;
  /** A reviewer asked for changes. */
  'interaction.request_changes': InteractionAnswerAudit;
  /** A choice, input or task request was answered. */
  'interaction.respond': InteractionAnswerAudit;
  /** A chat message was posted. */
  'interaction.message': InteractionAnswerAudit;
  /** A chat was closed. */
  'interaction.close': InteractionAnswerAudit;
  /** A request timed out (the system answered it). */
  'interaction.timeout': InteractionAnswerAudit;
  /** A request moved up its escalation chain. */
  'interaction.escalated': { level: number };
  /** A request was not answered by its SLA breach time. */
  'interaction.sla_breached': Record<string, never>;
  /** A named action was called (`target`: the action name). */
  'action.call': ActionCallData & { step_id?: string };
  /**
   * An agent handed its conversation off to another agent (`target`: the run that took
   * over), with the context keys carried and the metadata.
   */
  'agent.handoff': {
    step_id: string;
    segment_id: string;
    version: string;
    keys: string[];
    metadata: Record<string, unknown>;
  };
  /** A tenant was created, with its limit overrides and data region. */
  'tenant.created': TenantSettingsAudit;
  /** A tenant's name, tier, limit or feature overrides, data region or retention changed (`changed` names them). */
  'tenant.updated': TenantSettingsAudit & { changed: string[] };
  /** A tenant was suspended: its keys are refused and its live sessions closed. */
  'tenant.suspended': { name: string; tier: TenantTier; reason?: string };
  /** A suspended tenant was resumed. */
  'tenant.resumed': { name: string; tier: TenantTier };
  /** A tenant was deleted with its data (each run's erasure and key's revocation has its own entry). */
  'tenant.deleted': { name: string; tier: TenantTier; reason?: string };
  /** An API key was created (its secret and hash never enter the trail). */
  'api_key.created': ApiKeyAudit;
  /** An API key was revoked. */
  'api_key.revoked': ApiKeyAudit;
  /** An API key's roles, subject or name changed. */
  'api_key.updated': ApiKeyAudit;
  /** A segment version was stored (`sha256` of its canonical JSON). */
  'segment.upserted': { segmentId: string; version: string; replaced: boolean; sha256: string };
  /** A retention sweep deleted expired runs and snapshots. */
  'retention.swept': {
    runs: string[];
    snapshots: number;
    policy: { completedRunsSeconds?: number; snapshotsSeconds?: number };
  };
}

/** The detail of a `tenant.created` or `tenant.updated` audit entry: the settings after the write. */
export type TenantSettingsAudit = {
  name: string;
  tier: TenantTier;
  /** The tenant's own limit overrides (a limit absent follows the tier). */
  limits: Record<string, number>;
  /** The tenant's own feature flags (a feature absent follows the tier). */
  features?: Record<string, boolean>;
  dataRegion?: string;
};

/** The detail of an `api_key.*` audit entry. */
export type ApiKeyAudit = { roles: Role[]; subject: string; name?: string };

/** A registered audit action (`run.cancelled`, `api_key.revoked`, ...). */
export type AuditAction = keyof AuditActionMap & string;

/** The detail (`data`) shape of audit action `K`. */
export type AuditActionData<K extends AuditAction> = AuditActionMap[K];

type WithData<P extends AuditAction> =
  Record<string, never> extends AuditActionMap[P]
    ? { data?: AuditActionMap[P] }
    : { data: AuditActionMap[P] };

/**
 * An audit entry as an emitter hands it to a commit: the wide {@link AuditDraft} with
 * `action` and `data` taken from the registry. Assignable to `AuditDraft`.
 */
export type TypedAuditDraft<K extends AuditAction = AuditAction> = {
  [P in K]: Omit<AuditDraft, 'action' | 'data'> & { action: P } & WithData<P>;
}[K];

/** An audit entry as a step hook hands it over: tenant, run and time are filled in. */
export type StepAuditEntry<K extends AuditAction = AuditAction> = {
  [P in K]: Pick<AuditDraft, 'actor'> & Partial<Pick<AuditDraft, 'target'>> & { action: P } & WithData<P>;
}[K];
