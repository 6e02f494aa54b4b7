/** Tenants as a core model: create, update, suspend, resume and delete with data. */
import { LlmteamError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import type { TenantRecord, TenantTier } from '../store/registry-records.js';
import type { TenantRetention } from '../store/retention-types.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { LicenceError } from './licence.js';
import {
  checkFeatureOverrides,
  checkLimitOverrides,
  type DeploymentTerms,
  type EffectiveTenancy,
  effectiveTenancy,
  LimitExceededError,
} from './tenant-limits.js';
import { type TenantUsage, tenantUsage } from './tenant-usage.js';
import { type FeatureName, isTenantTier, normalizeTier, TENANT_TIERS, type TenantLimits } from './tiers.js';

/** The tenant every call without a tenant id uses; it exists without being created. */
const DEFAULT_TENANT_ID = 'default';
/**
 * How long (engine clock, ms) a tenant record read by `require` is used again: a change
 * made through another engine (a suspension, new limits) applies here within this time;
 * one made through this engine's manager applies at once.
 */
const TENANT_CACHE_MS = 5000;
const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** What `TenantManager.create` takes. */
export interface CreateTenantInput {
  /** 1-63 lower-case letters, digits, `-` or `_`, starting with a letter or digit. */
  tenantId: string;
  name: string;
  /** @default 'starter' */
  tier?: TenantTier;
  /** Overrides of the tier's default limits. @default {} */
  limits?: TenantLimits;
  /** Feature flags over the tier's: `true` turns one on, `false` off. @default {} */
  features?: Partial<Record<FeatureName, boolean>>;
  /** Where the tenant's data is kept, recorded and shown (e.g. `eu-west-1`). */
  dataRegion?: string;
}

/** What `TenantManager.update` changes; a field left out is kept. */
export interface UpdateTenantInput {
  name?: string;
  tier?: TenantTier;
  /** Replaces the overrides; a limit left out falls back to the tier's default. */
  limits?: TenantLimits;
  /** Replaces the feature overrides; a feature left out follows the tier again. */
  features?: Partial<Record<FeatureName, boolean>>;
  /** Where the tenant's data is kept now (after moving it); recorded and shown. */
  dataRegion?: string;
}

/** Who acts on a tenant, and why, recorded in its audit entries. */
export interface TenantChangeScope {
  /** @default 'system' */
  actor?: string;
  /** Why (a suspension or deletion): kept in the audit entry, and on the record while suspended. */
  reason?: string;
}

/** What the manager needs of its engine: the store, the clock and two run commands. */
export interface TenantManagerHost {
  store: Store;
  clock: Clock;
  cancelRun(
    runId: string,
    scope: { tenantId: string; actor: { subject: string }; reason?: string },
  ): Promise<unknown>;
  eraseRun(runId: string, scope: { tenantId: string; actor: { subject: string } }): Promise<void>;
}

/** Options of the engine's tenancy (`EngineOptions.tenancy`). */
export interface TenancyOptions {
  /** The deployment's terms (a verified licence). @default none: each tenant's tier alone */
  terms?: DeploymentTerms;
  /**
   * Treat a tenant that has no record like `default` (unmanaged: the licence's tier, else
   * `enterprise`; nothing is written) instead of refusing its runs, segments and keys with
   * `LLMT_E_TENANT_NOT_FOUND`. For embedding where tenants are not managed. @default false
   */
  implicitTenants?: boolean;
}

/**
 * The engine's tenants (`engine.tenants`). Every write goes through the store's audited
 * registry writes (`tenant.created`, `tenant.updated`, `tenant.suspended`,
 * `tenant.resumed`, `tenant.deleted`). The tenant `default` exists
 * without being created (tier: the licence's, else `enterprise`) until a record is written.
 */
export class TenantManager {
  /** Tenants `require` read lately, by id: a start reads its tenant at most once per `TENANT_CACHE_MS`. */
  private readonly recent = new Map<string, { record: TenantRecord; at: number }>();

  constructor(
    private readonly host: TenantManagerHost,
    private readonly options: TenancyOptions = {},
  ) {}

  /** The deployment's terms, when a licence set them. */
  get terms(): DeploymentTerms | undefined {
    return this.options.terms;
  }

  /** The tenant's record; undefined when it does not exist or was deleted. */
  async get(tenantId: string): Promise<TenantRecord | undefined> {
    const found = await this.host.store.getTenant(tenantId);
    if (!found || found.deletedAt || found.tenantId !== tenantId) return undefined;
    return { ...found, tier: normalizeTier(found.tier) };
  }

  /** Every tenant that is not deleted. */
  async list(): Promise<TenantRecord[]> {
    const all = await this.host.store.listTenants();
    return all.filter((t) => !t.deletedAt).map((t) => ({ ...t, tier: normalizeTier(t.tier) }));
  }

  /**
   * The tenant a run, segment or key is for: its record, the implicit `default`, or a
   * refusal. @throws `LLMT_E_TENANT_NOT_FOUND`, `LLMT_E_TENANT_SUSPENDED`
   */
  async require(tenantId: string): Promise<TenantRecord> {
    this.checkTermsValid();
    const found = await this.recentRecord(tenantId);
    if (found) {
      if (found.suspendedAt)
        throw new LlmteamError(
          'LLMT_E_TENANT_SUSPENDED',
          `tenant "${tenantId}" is suspended since ${found.suspendedAt}; resume it (resumeTenant, \`llmteam tenants resume ${tenantId}\`) first`,
          { details: { tenantId } },
        );
      return found;
    }
    if (tenantId === DEFAULT_TENANT_ID || this.options.implicitTenants) {
      const implicit = this.implicit(tenantId);
      this.recent.set(tenantId, { record: implicit, at: this.host.clock.now() });
      return implicit;
    }
    throw new LlmteamError(
      'LLMT_E_TENANT_NOT_FOUND',
      `tenant "${tenantId}" does not exist; create it first (engine.tenants.create, the createTenant mutation or \`llmteam tenants create ${tenantId}\`)`,
      { details: { tenantId } },
    );
  }

  /**
   * The limits a tenant's runs are held to while they go (model calls, action calls), read
   * like `require` (a change through another engine applies within 5 seconds). Never
   * refuses: a tenant without a record (the implicit `default`) gets the implicit tier.
   */
  async limitsOf(tenantId: string): Promise<EffectiveTenancy> {
    const found = await this.recentRecord(tenantId);
    if (found) return this.effective(found);
    const implicit = this.implicit(tenantId);
    if (tenantId === DEFAULT_TENANT_ID || this.options.implicitTenants)
      this.recent.set(tenantId, { record: implicit, at: this.host.clock.now() });
    return this.effective(implicit);
  }

  /** The tenant's record as read within the last `TENANT_CACHE_MS`, else from the store. */
  private async recentRecord(tenantId: string): Promise<TenantRecord | undefined> {
    const now = this.host.clock.now();
    const cached = this.recent.get(tenantId);
    if (cached && now - cached.at < TENANT_CACHE_MS && now >= cached.at) return cached.record;
    const found = await this.get(tenantId);
    if (found) this.recent.set(tenantId, { record: found, at: now });
    return found;
  }

  /**
   * Refuses new work once the deployment's terms have expired (engine clock): a gateway
   * would no longer start with that licence, so a running one takes no new runs either.
   * @throws LicenceError `LLMT_E_LICENCE_INVALID` with `details.problem` `expired`
   */
  private checkTermsValid(): void {
    const expiresAt = this.terms?.expiresAt;
    if (expiresAt === undefined || Date.parse(expiresAt) > this.host.clock.now()) return;
    const terms = this.terms;
    throw new LicenceError(
      `the licence${terms?.licensee ? ` of ${terms.licensee}` : ''}${terms?.licenceId ? ` (${terms.licenceId})` : ''} expired on ${new Date(Date.parse(expiresAt)).toISOString()}: no new run, segment or key is taken (runs already going carry on); install a renewed licence and restart`,
      { problem: 'expired', expiresAt },
    );
  }

  /**
   * An unmanaged tenant (`default`, or any with `implicitTenants`) that has no record: its
   * tier is the licence's, else `enterprise`, with no overrides. Nothing is written.
   */
  private implicit(tenantId: string): TenantRecord {
    return {
      tenantId,
      name: tenantId === DEFAULT_TENANT_ID ? 'Default' : tenantId,
      tier: this.terms?.tier ?? 'enterprise',
      limits: {},
      createdAt: new Date(0).toISOString(),
    };
  }

  /** Creates a tenant. @throws `LLMT_E_TENANT_EXISTS`, `LLMT_E_INVALID_ARGUMENT` */
  async create(input: CreateTenantInput, scope: TenantChangeScope = {}): Promise<TenantRecord> {
    if (typeof input.tenantId !== 'string' || !TENANT_ID.test(input.tenantId))
      throw invalid(
        'tenantId',
        'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
      );
    if (typeof input.name !== 'string' || input.name.trim() === '')
      throw invalid('name', 'must be a non-empty string');
    const tier = checkTier(input.tier ?? 'starter');
    checkDataRegion(input.dataRegion);
    this.checkTermsValid();
    const maxTenants = this.terms?.maxTenants;
    if (maxTenants !== undefined) {
      const count = (await this.list()).filter((t) => t.tenantId !== DEFAULT_TENANT_ID).length;
      if (count >= maxTenants)
        throw new LimitExceededError(
          {
            tenantId: input.tenantId,
            limit: 'tenants',
            value: maxTenants,
            tier: this.terms?.tier ?? 'enterprise',
            used: count,
          },
          `the licence allows ${maxTenants} tenant${maxTenants === 1 ? '' : 's'} (maxTenants); delete one or install a licence that allows more`,
        );
    }
    if (await this.get(input.tenantId))
      throw new LlmteamError(
        'LLMT_E_TENANT_EXISTS',
        `tenant "${input.tenantId}" already exists; update it instead`,
        {
          details: { tenantId: input.tenantId },
        },
      );
    const now = new Date(this.host.clock.now()).toISOString();
    const features = checkFeatureOverrides(input.features);
    const record: TenantRecord = {
      tenantId: input.tenantId,
      name: input.name,
      tier,
      limits: checkLimitOverrides(input.limits) as Record<string, number>,
      ...(Object.keys(features).length ? { features } : {}),
      ...(input.dataRegion ? { dataRegion: input.dataRegion } : {}),
      createdAt: now,
    };
    await this.host.store.putTenant(record, { actor: scope.actor ?? 'system', timestamp: now });
    this.recent.delete(record.tenantId);
    return record;
  }

  /** Changes a tenant's name, tier, limit or feature overrides, or data region. @throws `LLMT_E_TENANT_NOT_FOUND` */
  async update(
    tenantId: string,
    change: UpdateTenantInput,
    scope: TenantChangeScope = {},
  ): Promise<TenantRecord> {
    const current = await this.mustGet(tenantId);
    if (change.name !== undefined && (typeof change.name !== 'string' || change.name.trim() === ''))
      throw invalid('name', 'must be a non-empty string');
    checkDataRegion(change.dataRegion);
    const features = change.features === undefined ? undefined : checkFeatureOverrides(change.features);
    const { features: _features, ...rest } = current;
    const next: TenantRecord = {
      ...(features === undefined ? current : rest),
      ...(features !== undefined && Object.keys(features).length ? { features } : {}),
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.dataRegion !== undefined ? { dataRegion: change.dataRegion } : {}),
      ...(change.tier !== undefined ? { tier: checkTier(change.tier) } : {}),
      ...(change.limits !== undefined
        ? { limits: checkLimitOverrides(change.limits) as Record<string, number> }
        : {}),
    };
    return this.write(next, current, scope);
  }

  /**
   * Suspends a tenant: its keys are refused (HTTP, and live sessions are closed), and it
   * starts no run. Suspending a suspended tenant changes nothing. `default` cannot be
   * suspended: its admins manage every other tenant.
   */
  async suspend(tenantId: string, scope: TenantChangeScope = {}): Promise<TenantRecord> {
    if (tenantId === DEFAULT_TENANT_ID)
      throw invalid('tenantId', 'the tenant "default" cannot be suspended: its admins manage the others');
    const current = await this.mustGet(tenantId);
    if (current.suspendedAt) return current;
    return this.write(
      {
        ...current,
        suspendedAt: new Date(this.host.clock.now()).toISOString(),
        ...(scope.reason ? { suspensionReason: scope.reason } : {}),
      },
      current,
      scope,
    );
  }

  /** Lifts a suspension. */
  async resume(tenantId: string, scope: TenantChangeScope = {}): Promise<TenantRecord> {
    const current = await this.mustGet(tenantId);
    if (!current.suspendedAt) return current;
    const { suspendedAt: _, suspensionReason: _reason, ...rest } = current;
    return this.write(rest, current, scope);
  }

  /**
   * Deletes a tenant with its data: cancels its runs that are still going, erases every run
   * (steps, events, interactions, timers, snapshots; each audited as `run.erased`), revokes
   * its API keys and marks the record deleted. The audit chain is kept, so it still verifies.
   * Returns how many runs were erased and keys revoked, and when it was deleted.
   */
  async delete(
    tenantId: string,
    scope: TenantChangeScope = {},
  ): Promise<{ runsErased: number; keysRevoked: number; deletedAt: string }> {
    if (tenantId === DEFAULT_TENANT_ID) throw invalid('tenantId', 'the tenant "default" cannot be deleted');
    const current = await this.mustGet(tenantId);
    const actor = { subject: scope.actor ?? 'system' };
    const { store } = this.host;
    let runsErased = 0;
    for (;;) {
      const page = await store.listRuns(tenantId, { limit: 200 });
      if (!page.items.length) break;
      for (const run of page.items) {
        if (!isTerminalRun(run.status))
          await this.host
            .cancelRun(run.runId, { tenantId, actor, reason: 'tenant deleted' })
            .catch(() => undefined);
        await this.host.eraseRun(run.runId, { tenantId, actor });
        runsErased++;
      }
    }
    const now = new Date(this.host.clock.now()).toISOString();
    let keysRevoked = 0;
    for (const key of await store.listApiKeys(tenantId)) {
      if (key.revokedAt || key.tenantId !== tenantId) continue;
      await store.putApiKey({ ...key, revokedAt: now }, { actor: actor.subject, timestamp: now });
      keysRevoked++;
    }
    await this.write({ ...current, deletedAt: now, suspendedAt: current.suspendedAt ?? now }, current, scope);
    return { runsErased, keysRevoked, deletedAt: now };
  }

  /** The tenant's tier, limits and features after defaults, overrides and the deployment's terms. */
  effective(record: Pick<TenantRecord, 'tier' | 'limits' | 'features'>): EffectiveTenancy {
    return effectiveTenancy(record, this.terms);
  }

  /**
   * Every tenant's retention policy as the sweep applies it (see `engine.retention`): its
   * record's `retention`, with snapshots kept no longer than its `snapshot_retention_days`
   * (tier default, override, licence). The implicit `default` tenant is included while it
   * has no record; tenants that keep everything are left out.
   */
  async retentionPolicies(): Promise<TenantRetention[]> {
    const records = await this.list();
    if (!records.some((t) => t.tenantId === DEFAULT_TENANT_ID))
      records.push(this.implicit(DEFAULT_TENANT_ID));
    return records.flatMap((record) => {
      const retention = { ...record.retention };
      const days = this.effective(record).limits.snapshot_retention_days;
      if (days !== undefined)
        retention.snapshotsSeconds = Math.min(retention.snapshotsSeconds ?? Infinity, days * 86_400);
      return retention.completedRunsSeconds === undefined && retention.snapshotsSeconds === undefined
        ? []
        : [{ tenantId: record.tenantId, retention }];
    });
  }

  /** What the tenant uses now of each counted limit. */
  async usage(tenantId: string): Promise<TenantUsage> {
    await this.mustGet(tenantId);
    return tenantUsage(this.host.store, tenantId, this.host.clock.now());
  }

  private async mustGet(tenantId: string): Promise<TenantRecord> {
    const found = await this.get(tenantId);
    if (found) return found;
    if (tenantId === DEFAULT_TENANT_ID) return this.implicit(tenantId);
    throw new LlmteamError('LLMT_E_TENANT_NOT_FOUND', `tenant "${tenantId}" does not exist`, {
      details: { tenantId },
    });
  }

  private async write(
    next: TenantRecord,
    _previous: TenantRecord,
    scope: TenantChangeScope,
  ): Promise<TenantRecord> {
    this.recent.delete(next.tenantId);
    await this.host.store.putTenant(next, {
      actor: scope.actor ?? 'system',
      timestamp: new Date(this.host.clock.now()).toISOString(),
      ...(scope.reason ? { reason: scope.reason } : {}),
    });
    return next;
  }
}

function invalid(field: string, what: string): LlmteamError {
  return new LlmteamError('LLMT_E_INVALID_ARGUMENT', `${field} ${what}`, { details: { field } });
}

function checkDataRegion(region: unknown): void {
  if (region !== undefined && (typeof region !== 'string' || region.trim() === ''))
    throw invalid('dataRegion', 'must be a non-empty string such as "eu-west-1"');
}

function checkTier(tier: unknown): TenantTier {
  if (!isTenantTier(tier))
    throw invalid('tier', `must be one of ${TENANT_TIERS.join(', ')}, got ${JSON.stringify(tier)}`);
  return tier;
}
