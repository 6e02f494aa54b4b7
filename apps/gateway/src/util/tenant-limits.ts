import {
  checkLimitOverrides,
  LIMIT_NAMES,
  type LimitName,
  LlmteamError,
  type TenantLimits,
  type TenantManager,
  type TenantRecord,
  type TenantUsage,
} from '@llmteam/core';

/**
 * A change of a tenant's limit overrides, by limit name: a whole number sets the override,
 * `null` removes it (the tier's default applies again). A limit left out is kept.
 */
export type LimitOverrideChange = Readonly<Record<string, number | null>>;

/** One limit of a tenant as the gateway and the CLI show it. */
export interface TenantLimitRow {
  name: LimitName;
  /** The limit that applies; undefined: unlimited. */
  limit?: number;
  /** The tenant's own override; undefined: the tier's default applies. */
  override?: number;
  /** The tier's default, capped by the licence; undefined: unlimited. */
  tierDefault?: number;
}

/**
 * The tenant's overrides with `change` applied.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming an unknown limit (with the valid
 * names) or a value that is not a whole number of 0 or more.
 */
export function withLimitOverrides(
  current: Record<string, number>,
  change: LimitOverrideChange,
): TenantLimits {
  const next: Record<string, number> = { ...current };
  for (const [name, value] of Object.entries(change)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(name))
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `${JSON.stringify(name)} is not a limit; use one of ${LIMIT_NAMES.join(', ')}`,
        { details: { field: `limits.${name}` } },
      );
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return checkLimitOverrides(next);
}

/** Every limit of a tenant, in the order of `LIMIT_NAMES`: what applies, its override and the tier's default. */
export function tenantLimitRows(
  tenants: TenantManager,
  record: Pick<TenantRecord, 'tier' | 'limits'>,
): TenantLimitRow[] {
  const effective = tenants.effective(record).limits;
  const defaults = tenants.effective({ tier: record.tier, limits: {} }).limits;
  return LIMIT_NAMES.map((name) => ({
    name,
    ...(finite(effective[name]) ? { limit: effective[name] } : {}),
    ...(finite(record.limits?.[name]) ? { override: record.limits[name] } : {}),
    ...(finite(defaults[name]) ? { tierDefault: defaults[name] } : {}),
  }));
}

/** What is left of a limit: undefined when the limit is unlimited or its use is not counted. */
export function remainingOf(row: TenantLimitRow, usage: TenantUsage): number | undefined {
  const used = usage[row.name];
  return row.limit === undefined || used === undefined ? undefined : Math.max(0, row.limit - used);
}

function finite(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
