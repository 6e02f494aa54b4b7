import type { TenantManager, TenantRecord, TenantTier, TenantUsage } from '@llmteam/core';
import { LlmteamError } from '@llmteam/core';
import { SafeIntResolver } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AuthInfo } from '../auth/api-keys.js';
import { requirePermission } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import {
  remainingOf,
  type TenantLimitRow,
  tenantLimitRows,
  withLimitOverrides,
} from '../util/tenant-limits.js';
import { TenantLimitNameEnum, TenantTierEnum } from './enums.js';
import { Tenant, TenantDeletion, TenantLimit } from './object-types.js';

/** The tenant whose admins manage every tenant. */
const PLATFORM_TENANT = 'default';

@InputType({
  description: "A change of one limit override: a value sets it, null returns to the tier's default",
})
export class TenantLimitInput {
  @Field(() => TenantLimitNameEnum) name!: string;
  @Field(() => SafeIntResolver, { nullable: true, description: "null: the tier's default applies again" })
  value?: number | null;
}

/** A limit as resolvers pass it: its row and the tenant's usage, read once and only when asked for. */
type TenantLimitSource = TenantLimit & { usage: () => Promise<TenantUsage> };

/** The GraphQL shape of a tenant record; its usage is read when a `used` or `remaining` field asks. */
export function toTenant(record: TenantRecord, tenants: TenantManager): Tenant {
  let usage: Promise<TenantUsage> | undefined;
  const readUsage = () => {
    usage ??= tenants.usage(record.tenantId);
    return usage;
  };
  return {
    id: record.tenantId,
    name: record.name,
    tier: record.tier,
    status: record.suspendedAt ? 'suspended' : 'active',
    suspendedAt: record.suspendedAt,
    suspensionReason: record.suspensionReason,
    dataRegion: record.dataRegion,
    features: tenants.effective(record).features,
    limits: tenantLimitRows(tenants, record).map((row): TenantLimitSource => ({ ...row, usage: readUsage })),
    createdAt: record.createdAt,
    retention: record.retention,
  };
}

/** An admin of tenant `default`: the only callers that manage tenants. */
function platformAdmin(ctx: GatewayContext): AuthInfo {
  const auth = requirePermission(ctx.auth, 'admin');
  if (auth.tenantId !== PLATFORM_TENANT)
    throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'Only admins of tenant "default" manage tenants');
  return auth;
}

/** The tenant's record; `default` exists (unmanaged) before anything wrote it. */
async function findTenant(tenants: TenantManager, id: string): Promise<TenantRecord | undefined> {
  return (await tenants.get(id)) ?? (id === PLATFORM_TENANT ? tenants.require(id) : undefined);
}

@Resolver(() => TenantLimit)
export class TenantLimitFieldsResolver {
  @FieldResolver(() => SafeIntResolver, {
    nullable: true,
    description:
      'What the tenant uses of it now (ACTION_CALLS_PER_MINUTE: the calls of the last minute); null for SNAPSHOT_RETENTION_DAYS, which is not counted',
  })
  async used(@Root() limit: TenantLimitSource): Promise<number | null> {
    return (await limit.usage())[limit.name as TenantLimitRow['name']] ?? null;
  }

  @FieldResolver(() => SafeIntResolver, {
    nullable: true,
    description: 'limit - used, at least 0; null when unlimited or not counted',
  })
  async remaining(@Root() limit: TenantLimitSource): Promise<number | null> {
    return remainingOf(limit as TenantLimitRow, await limit.usage()) ?? null;
  }
}

@Resolver()
export class TenantResolver {
  @Query(() => [Tenant], { description: 'Admins of `default` only: every tenant that is not deleted, by id' })
  async tenants(@Ctx() ctx: GatewayContext): Promise<Tenant[]> {
    platformAdmin(ctx);
    const { tenants } = ctx.engine;
    const records = await tenants.list();
    if (!records.some((t) => t.tenantId === PLATFORM_TENANT))
      records.push(await tenants.require(PLATFORM_TENANT));
    return records.sort((a, b) => a.tenantId.localeCompare(b.tenantId)).map((r) => toTenant(r, tenants));
  }

  @Query(() => Tenant, {
    nullable: true,
    description:
      "A tenant with its limits and usage (default: the caller's). Admins read their own tenant; admins of `default` any (null when it does not exist)",
  })
  async tenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID, { nullable: true }) id?: string,
  ): Promise<Tenant | null> {
    const auth = requirePermission(ctx.auth, 'admin');
    const target = id ?? auth.tenantId;
    if (target !== auth.tenantId && auth.tenantId !== PLATFORM_TENANT)
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'An admin key reads its own tenant only');
    const record = await findTenant(ctx.engine.tenants, target);
    return record ? toTenant(record, ctx.engine.tenants) : null;
  }

  @Mutation(() => Tenant, { description: 'Admins of tenant `default` only; audited as tenant.created' })
  async createTenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String) name: string,
    @Arg('tier', () => TenantTierEnum, { nullable: true }) tier?: TenantTier,
  ): Promise<Tenant> {
    const auth = platformAdmin(ctx);
    const record = await ctx.engine.tenants.create(
      { tenantId: id, name, tier: tier ?? 'starter' },
      { actor: auth.subject },
    );
    return toTenant(record, ctx.engine.tenants);
  }

  @Mutation(() => Tenant, {
    description:
      'Admins of `default` only. Changes what is given: name, tier, data region, and limit overrides one by one (a limit left out keeps its override). Audited as tenant.updated, naming the fields changed',
  })
  async updateTenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String, { nullable: true }) name?: string,
    @Arg('tier', () => TenantTierEnum, { nullable: true }) tier?: TenantTier,
    @Arg('limits', () => [TenantLimitInput], { nullable: true }) limits?: TenantLimitInput[],
    @Arg('dataRegion', () => String, { nullable: true }) dataRegion?: string,
  ): Promise<Tenant> {
    const auth = platformAdmin(ctx);
    const { tenants } = ctx.engine;
    if (name == null && tier == null && limits == null && dataRegion == null)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'updateTenant changes nothing: give name, tier, limits or dataRegion',
      );
    const current = await findTenant(tenants, id);
    if (!current)
      throw new LlmteamError('LLMT_E_TENANT_NOT_FOUND', `tenant "${id}" does not exist`, {
        details: { tenantId: id },
      });
    const record = await tenants.update(
      id,
      {
        ...(name != null ? { name } : {}),
        ...(tier != null ? { tier } : {}),
        ...(dataRegion != null ? { dataRegion } : {}),
        ...(limits != null
          ? {
              limits: withLimitOverrides(
                current.limits,
                Object.fromEntries(limits.map((l) => [l.name, l.value ?? null])),
              ),
            }
          : {}),
      },
      { actor: auth.subject },
    );
    return toTenant(record, tenants);
  }

  @Mutation(() => Tenant, {
    description:
      'Admins of `default` only (not `default` itself). Its keys are refused over HTTP at once and its live graphql-ws sessions close with 4403; it starts no run until resumed. Audited as tenant.suspended with the reason',
  })
  async suspendTenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Tenant> {
    const auth = platformAdmin(ctx);
    const record = await ctx.engine.tenants.suspend(id, {
      actor: auth.subject,
      ...(reason ? { reason } : {}),
    });
    ctx.info.recheckSessions();
    return toTenant(record, ctx.engine.tenants);
  }

  @Mutation(() => Tenant, { description: 'Admins of `default` only. Audited as tenant.resumed' })
  async resumeTenant(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Tenant> {
    const auth = platformAdmin(ctx);
    return toTenant(await ctx.engine.tenants.resume(id, { actor: auth.subject }), ctx.engine.tenants);
  }

  @Mutation(() => TenantDeletion, {
    description:
      'Admins of `default` only (not `default` itself). Deletes the tenant with its data: its runs are cancelled and erased, its keys revoked (live sessions close with 4403). The audit chain is kept. Audited as tenant.deleted',
  })
  async deleteTenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<TenantDeletion> {
    const auth = platformAdmin(ctx);
    const removed = await ctx.engine.tenants.delete(id, {
      actor: auth.subject,
      ...(reason ? { reason } : {}),
    });
    ctx.info.recheckSessions();
    return { id, ...removed };
  }
}
