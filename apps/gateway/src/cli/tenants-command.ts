import {
  type Engine,
  FEATURE_NAMES,
  type FeatureName,
  LIMIT_NAMES,
  LlmteamError,
  TENANT_TIERS,
  type TenantManager,
  type TenantRecord,
  type TenantTier,
  type TenantUsage,
  type UpdateTenantInput,
} from '@llmteam/core';
import type { Command } from 'commander';
import {
  type LimitOverrideChange,
  remainingOf,
  tenantLimitRows,
  withLimitOverrides,
} from '../util/tenant-limits.js';
import { type CommandSupport, out, table } from './command-support.js';

/** The tenant whose record may be absent: it exists without being created. */
const DEFAULT_TENANT = 'default';
/** Who the audit entries of a change made here name. */
const ACTOR = 'cli';

function invalid(option: string, what: string): LlmteamError {
  return new LlmteamError('LLMT_E_INVALID_ARGUMENT', `${option} ${what}`, { details: { field: option } });
}

function tierOf(value: string): TenantTier {
  if (!(TENANT_TIERS as readonly string[]).includes(value))
    throw invalid('--tier', `must be one of ${TENANT_TIERS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as TenantTier;
}

/**
 * `--limit NAME=N` pairs as a change of overrides; with `allowDefault`, `NAME=default`
 * drops an override (the tier's default applies again).
 */
function limitChange(pairs: string[] | undefined, allowDefault: boolean): LimitOverrideChange {
  const change: Record<string, number | null> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    const name = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? '' : pair.slice(at + 1);
    if (!(LIMIT_NAMES as readonly string[]).includes(name))
      throw invalid(
        '--limit',
        `${JSON.stringify(name)} is not a limit; use NAME=N with NAME one of ${LIMIT_NAMES.join(', ')}`,
      );
    if (allowDefault && value === 'default') change[name] = null;
    else if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) change[name] = Number(value);
    else
      throw invalid(
        '--limit',
        `${name} must be a whole number of 0 or more${allowDefault ? ' (or "default" to drop the override)' : ''}, got ${JSON.stringify(value)}: write ${name}=100`,
      );
  }
  return change;
}

/**
 * `--feature NAME[=on|off]` as a change of feature overrides (a bare NAME turns it on); with
 * `allowDefault`, `NAME=default` drops an override (the tier decides again).
 */
function featureChange(
  items: string[] | undefined,
  allowDefault: boolean,
): Partial<Record<FeatureName, boolean | null>> {
  const change: Partial<Record<FeatureName, boolean | null>> = {};
  for (const item of items ?? []) {
    const [name = '', value = 'on', ...extra] = item.split('=');
    if (!(FEATURE_NAMES as readonly string[]).includes(name))
      throw invalid(
        '--feature',
        `${JSON.stringify(name)} is not a feature; use one of ${FEATURE_NAMES.join(', ')}`,
      );
    const state = extra.length ? undefined : { on: true, off: false, default: null }[value];
    if (state === undefined || (state === null && !allowDefault))
      throw invalid(
        '--feature',
        `${name} takes on or off${allowDefault ? ' (or default to follow the tier)' : ''}, got ${JSON.stringify(item.slice(name.length + 1))}: write ${name}=on`,
      );
    change[name as FeatureName] = state;
  }
  return change;
}

function withFeatureOverrides(
  current: Record<string, boolean> | undefined,
  change: Partial<Record<FeatureName, boolean | null>>,
): Partial<Record<FeatureName, boolean>> {
  const next: Record<string, boolean> = { ...current };
  for (const [name, value] of Object.entries(change)) {
    if (value === null || value === undefined) delete next[name];
    else next[name] = value;
  }
  return next;
}

/** The tenant's record (`default` even before anything wrote one), or a refusal naming the fix. */
async function mustFind(tenants: TenantManager, tenantId: string): Promise<TenantRecord> {
  const found =
    (await tenants.get(tenantId)) ??
    (tenantId === DEFAULT_TENANT ? await tenants.require(tenantId) : undefined);
  if (found) return found;
  throw new LlmteamError(
    'LLMT_E_TENANT_NOT_FOUND',
    `no tenant "${tenantId}" in this store; see llmteam tenants list, or create it with llmteam tenants create ${tenantId}`,
    { details: { tenantId, field: 'ID' } },
  );
}

/** A tenant as `show --json` prints it: the GraphQL `Tenant` shape, `null` for unlimited and for uncounted use. */
function tenantJson(record: TenantRecord, tenants: TenantManager, usage?: TenantUsage) {
  const effective = tenants.effective(record);
  return {
    id: record.tenantId,
    name: record.name,
    tier: record.tier,
    status: record.suspendedAt ? 'suspended' : 'active',
    suspendedAt: record.suspendedAt ?? null,
    suspensionReason: record.suspensionReason ?? null,
    dataRegion: record.dataRegion ?? null,
    features: effective.features,
    featureOverrides: record.features ?? {},
    createdAt: record.createdAt,
    retention: record.retention ?? null,
    limits: limitsJson(record, tenants, usage),
  };
}

function limitsJson(record: TenantRecord, tenants: TenantManager, usage?: TenantUsage) {
  return tenantLimitRows(tenants, record).map((row) => ({
    name: row.name,
    limit: row.limit ?? null,
    override: row.override ?? null,
    tierDefault: row.tierDefault ?? null,
    ...(usage ? { used: usage[row.name] ?? null, remaining: remainingOf(row, usage) ?? null } : {}),
  }));
}

function limitLines(record: TenantRecord, tenants: TenantManager, usage: TenantUsage): string[] {
  return table(
    ['LIMIT', 'USED', 'LIMIT', 'REMAINING', 'FROM'],
    limitsJson(record, tenants, usage).map((l) => [
      l.name,
      l.used === null || l.used === undefined ? '-' : String(l.used),
      l.limit === null ? 'unlimited' : String(l.limit),
      l.remaining === null || l.remaining === undefined ? '-' : String(l.remaining),
      l.override !== null ? 'override' : 'tier',
    ]),
  );
}

function summary(record: TenantRecord, tenants: TenantManager): string {
  const status = record.suspendedAt ? `suspended since ${record.suspendedAt}` : 'active';
  return `tenant ${record.tenantId} (${record.name}): tier ${record.tier}, ${status}, region ${record.dataRegion ?? '-'}, features ${tenants.effective(record).features.join(',') || 'none'}`;
}

/**
 * Adds `llmteam tenants list|show|create|update|suspend|resume|delete|usage`, working on the
 * configured store through core's tenant manager: each change is audited in the tenant's
 * chain (`tenant.created`, `tenant.updated`, ...) with actor `cli`, as the GraphQL mutations are.
 */
export function addTenantsCommands(program: Command, { withEngine, configOption }: CommandSupport): void {
  const tenantsCommand = program.command('tenants').description('tenants: tiers, limits, features, usage');
  const withTenants = <T>(
    config: string | undefined,
    fn: (tenants: TenantManager, engine: Engine) => Promise<T>,
  ) => withEngine(config, (engine) => fn(engine.tenants, engine));

  tenantsCommand
    .command('list')
    .description('every tenant that is not deleted, by id')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (opts: { json?: boolean; config?: string }) => {
      await withTenants(opts.config, async (tenants) => {
        const records = await tenants.list();
        if (!records.some((t) => t.tenantId === DEFAULT_TENANT))
          records.push(await tenants.require(DEFAULT_TENANT));
        records.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
        if (opts.json)
          return out(
            JSON.stringify(
              records.map((r) => tenantJson(r, tenants)),
              null,
              2,
            ),
          );
        for (const line of table(
          ['ID', 'TIER', 'STATUS', 'REGION', 'NAME'],
          records.map((r) => [
            r.tenantId,
            r.tier,
            r.suspendedAt ? 'suspended' : 'active',
            r.dataRegion ?? '-',
            r.name,
          ]),
        ))
          out(line);
      });
    });

  tenantsCommand
    .command('show')
    .description('one tenant: tier, status, region, features, and each limit with its use')
    .argument('<id>', 'tenant id')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (id: string, opts: { json?: boolean; config?: string }) => {
      await withTenants(opts.config, async (tenants) => {
        const record = await mustFind(tenants, id);
        const usage = await tenants.usage(id);
        if (opts.json) return out(JSON.stringify(tenantJson(record, tenants, usage), null, 2));
        out(summary(record, tenants));
        if (record.suspensionReason) out(`suspended because ${record.suspensionReason}`);
        for (const line of limitLines(record, tenants, usage)) out(line);
      });
    });

  tenantsCommand
    .command('usage')
    .description('what a tenant uses of each limit now (rates over the last minute), against the limit')
    .argument('<id>', 'tenant id')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (id: string, opts: { json?: boolean; config?: string }) => {
      await withTenants(opts.config, async (tenants) => {
        const record = await mustFind(tenants, id);
        const usage = await tenants.usage(id);
        if (opts.json) return out(JSON.stringify(limitsJson(record, tenants, usage), null, 2));
        for (const line of limitLines(record, tenants, usage)) out(line);
      });
    });

  tenantsCommand
    .command('create')
    .description('create a tenant (audited as tenant.created)')
    .argument('<id>', 'tenant id: lower-case letters, digits, - or _')
    .option('-n, --name <name>', 'display name (default: the id)')
    .option('--tier <tier>', `one of ${TENANT_TIERS.join(', ')}`, 'starter')
    .option('--region <region>', "where the tenant's data is kept, e.g. eu-west-1")
    .option(
      '--limit <name=n...>',
      `override a limit of the tier, e.g. runs_per_day=100 (${LIMIT_NAMES.join(', ')})`,
    )
    .option(
      '--feature <name=on|off...>',
      `turn a feature on or off over the tier's (${FEATURE_NAMES.join(', ')})`,
    )
    .option('--json', 'print the tenant as JSON')
    .addOption(configOption())
    .action(
      async (
        id: string,
        opts: {
          name?: string;
          tier: string;
          region?: string;
          limit?: string[];
          feature?: string[];
          json?: boolean;
          config?: string;
        },
      ) => {
        const tier = tierOf(opts.tier);
        const limits = withLimitOverrides({}, limitChange(opts.limit, false));
        const features = withFeatureOverrides({}, featureChange(opts.feature, false));
        await withTenants(opts.config, async (tenants) => {
          const record = await tenants.create(
            {
              tenantId: id,
              name: opts.name ?? id,
              tier,
              limits,
              features,
              ...(opts.region !== undefined ? { dataRegion: opts.region } : {}),
            },
            { actor: ACTOR },
          );
          out(
            opts.json
              ? JSON.stringify(tenantJson(record, tenants), null, 2)
              : `created ${summary(record, tenants)}`,
          );
        });
      },
    );

  tenantsCommand
    .command('update')
    .description(
      'change what is given: name, tier, region, limit and feature overrides one by one (audited as tenant.updated)',
    )
    .argument('<id>', 'tenant id')
    .option('-n, --name <name>', 'display name')
    .option('--tier <tier>', `one of ${TENANT_TIERS.join(', ')}`)
    .option('--region <region>', "where the tenant's data is kept now")
    .option('--limit <name=n...>', 'set an override (runs_per_day=100), or drop it (runs_per_day=default)')
    .option('--feature <name=on|off|default...>', "turn a feature on or off, or back to the tier's")
    .option('--json', 'print the tenant as JSON')
    .addOption(configOption())
    .action(
      async (
        id: string,
        opts: {
          name?: string;
          tier?: string;
          region?: string;
          limit?: string[];
          feature?: string[];
          json?: boolean;
          config?: string;
        },
      ) => {
        const tier = opts.tier === undefined ? undefined : tierOf(opts.tier);
        const limits = limitChange(opts.limit, true);
        const features = featureChange(opts.feature, true);
        if (
          opts.name === undefined &&
          tier === undefined &&
          opts.region === undefined &&
          !opts.limit?.length &&
          !opts.feature?.length
        )
          throw invalid(
            'tenants update',
            'changes nothing: give --name, --tier, --region, --limit NAME=N or --feature NAME=on|off',
          );
        await withTenants(opts.config, async (tenants) => {
          const current = await mustFind(tenants, id);
          const change: UpdateTenantInput = {
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(tier !== undefined ? { tier } : {}),
            ...(opts.region !== undefined ? { dataRegion: opts.region } : {}),
            ...(opts.limit?.length ? { limits: withLimitOverrides(current.limits, limits) } : {}),
            ...(opts.feature?.length ? { features: withFeatureOverrides(current.features, features) } : {}),
          };
          const record = await tenants.update(id, change, { actor: ACTOR });
          out(
            opts.json
              ? JSON.stringify(tenantJson(record, tenants), null, 2)
              : `updated ${summary(record, tenants)}`,
          );
        });
      },
    );

  tenantsCommand
    .command('suspend')
    .description("refuse the tenant's keys and new runs until resumed (audited as tenant.suspended)")
    .argument('<id>', 'tenant id')
    .option('--reason <text>', 'why; kept in the audit entry and on the tenant')
    .addOption(configOption())
    .action(async (id: string, opts: { reason?: string; config?: string }) => {
      await withTenants(opts.config, async (tenants) => {
        await mustFind(tenants, id);
        const record = await tenants.suspend(id, {
          actor: ACTOR,
          ...(opts.reason ? { reason: opts.reason } : {}),
        });
        out(`tenant ${record.tenantId} suspended since ${record.suspendedAt}`);
      });
    });

  tenantsCommand
    .command('resume')
    .description('lift a suspension (audited as tenant.resumed)')
    .argument('<id>', 'tenant id')
    .addOption(configOption())
    .action(async (id: string, opts: { config?: string }) => {
      await withTenants(opts.config, async (tenants) => {
        await mustFind(tenants, id);
        const record = await tenants.resume(id, { actor: ACTOR });
        out(`tenant ${record.tenantId} active`);
      });
    });

  tenantsCommand
    .command('delete')
    .description(
      'delete a tenant with its data: cancel and erase its runs, revoke its keys; the audit chain is kept (needs --yes)',
    )
    .argument('<id>', 'tenant id')
    .option('--yes', 'confirm: the runs are erased for good')
    .option('--reason <text>', 'why; kept in the audit entry')
    .option('--json', 'print what was removed as JSON')
    .addOption(configOption())
    .action(async (id: string, opts: { yes?: boolean; reason?: string; json?: boolean; config?: string }) => {
      await withTenants(opts.config, async (tenants, engine) => {
        await mustFind(tenants, id);
        if (!opts.yes) {
          const runs = (await engine.store.listRuns(id, { limit: 1 })).items.length > 0;
          throw invalid(
            '--yes',
            `is needed to delete tenant "${id}": it erases ${runs ? 'its runs (steps, events, interactions, snapshots)' : 'its data'} and revokes its keys for good; run again with --yes`,
          );
        }
        const removed = await tenants.delete(id, {
          actor: ACTOR,
          ...(opts.reason ? { reason: opts.reason } : {}),
        });
        if (opts.json) return out(JSON.stringify({ id, ...removed }, null, 2));
        out(
          `tenant ${id} deleted at ${removed.deletedAt}: ${removed.runsErased} run${removed.runsErased === 1 ? '' : 's'} erased, ${removed.keysRevoked} key${removed.keysRevoked === 1 ? '' : 's'} revoked`,
        );
      });
    });
}
