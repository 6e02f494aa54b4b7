import { LlmteamError, type Role, type TenantTier } from '@llmteam/core';
import { JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { createApiKey, ensureTenant } from '../auth/api-keys.js';
import { requirePermission, scopeOf } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { RoleEnum, TenantTierEnum } from './enums.js';
import { toInteraction, toRun, toSegment, toSnapshot } from './mappers.js';
import { CreatedApiKey, Interaction, Run, Segment, Snapshot, Tenant } from './object-types.js';

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

@Resolver()
export class MutationResolver {
  @Mutation(() => Segment, {
    description:
      'Validates and stores a segment version; an invalid one fails with BAD_USER_INPUT listing every problem',
  })
  async upsertSegment(
    @Ctx() ctx: GatewayContext,
    @Arg('definition', () => JSONResolver) definition: unknown,
  ): Promise<Segment> {
    const auth = requirePermission(ctx.auth, 'operate');
    return toSegment(await ctx.engine.upsertSegment(definition, scopeOf(auth)));
  }

  @Mutation(() => Run)
  async startRun(
    @Ctx() ctx: GatewayContext,
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('input', () => JSONResolver, { nullable: true }) input?: unknown,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey?: string,
    @Arg('version', () => String, { nullable: true }) version?: string,
  ): Promise<Run> {
    const auth = requirePermission(ctx.auth, 'operate');
    const run = await ctx.engine.startRun({
      ...scopeOf(auth),
      segmentId,
      input: input ?? {},
      ...(version ? { version } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    return toRun(run);
  }

  @Mutation(() => Run)
  async cancelRun(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Run> {
    const auth = requirePermission(ctx.auth, 'operate');
    await ensureRun(ctx, id);
    return toRun(await ctx.engine.cancelRun(id, { ...scopeOf(auth), ...(reason ? { reason } : {}) }));
  }

  @Mutation(() => Run)
  async pauseRun(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Run> {
    const auth = requirePermission(ctx.auth, 'operate');
    await ensureRun(ctx, id);
    return toRun(await ctx.engine.pauseRun(id, scopeOf(auth)));
  }

  @Mutation(() => Run)
  async resumeRun(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Run> {
    const auth = requirePermission(ctx.auth, 'operate');
    await ensureRun(ctx, id);
    return toRun(await ctx.engine.resumeRun(id, scopeOf(auth)));
  }

  @Mutation(() => Interaction)
  async approve(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'approve', ...(comment ? { comment } : {}) });
  }

  @Mutation(() => Interaction)
  async reject(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'reject', ...(reason ? { comment: reason } : {}) });
  }

  @Mutation(() => Interaction)
  async requestChanges(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('feedback', () => String) feedback: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'request_changes', comment: feedback, value: { feedback } });
  }

  @Mutation(() => Interaction, { description: 'Answers a choice, input, review, task or chat request' })
  async respond(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('response', () => JSONResolver) response: unknown,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'respond', value: response, ...(comment ? { comment } : {}) });
  }

  @Mutation(() => Snapshot)
  async createSnapshot(@Ctx() ctx: GatewayContext, @Arg('runId', () => ID) runId: string): Promise<Snapshot> {
    const auth = requirePermission(ctx.auth, 'operate');
    await ensureRun(ctx, runId);
    return toSnapshot(await ctx.engine.createSnapshot(runId, scopeOf(auth)));
  }

  @Mutation(() => Run)
  async forkRun(@Ctx() ctx: GatewayContext, @Arg('snapshotId', () => ID) snapshotId: string): Promise<Run> {
    const auth = requirePermission(ctx.auth, 'operate');
    const snapshot = await ctx.engine.store.getSnapshot(auth.tenantId, snapshotId);
    if (!snapshot || snapshot.tenantId !== auth.tenantId) {
      throw new GatewayError('LLMT_E_GW_NOT_FOUND', `No snapshot "${snapshotId}" in this tenant`);
    }
    return toRun(await ctx.engine.forkRun(snapshotId, scopeOf(auth)));
  }

  @Mutation(() => Tenant, { description: 'Admins of tenant `default` only' })
  async createTenant(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('name', () => String) name: string,
    @Arg('tier', () => TenantTierEnum, { nullable: true }) tier?: TenantTier,
  ): Promise<Tenant> {
    const auth = requirePermission(ctx.auth, 'admin');
    if (auth.tenantId !== 'default')
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'Only admins of tenant "default" create tenants');
    if (!TENANT_ID.test(id)) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        'Tenant id must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit',
      );
    }
    const store = ctx.engine.store;
    if (await store.getTenant(id)) throw new LlmteamError('LLMT_E_CONFLICT', `Tenant "${id}" already exists`);
    const record = {
      tenantId: id,
      name,
      tier: tier ?? 'standard',
      limits: {},
      createdAt: new Date(ctx.engine.clock.now()).toISOString(),
    };
    await store.putTenant(record);
    return { id: record.tenantId, name: record.name, tier: record.tier, createdAt: record.createdAt };
  }

  @Mutation(() => CreatedApiKey, {
    description: 'Admins of the tenant (or of `default`). The secret is shown once',
  })
  async createApiKey(
    @Ctx() ctx: GatewayContext,
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('roles', () => [RoleEnum]) roles: Role[],
    @Arg('name', () => String, { nullable: true }) name?: string,
    @Arg('subject', () => String, { nullable: true }) subject?: string,
    @Arg('groups', () => [String], { nullable: true }) groups?: string[],
  ): Promise<CreatedApiKey> {
    const auth = requirePermission(ctx.auth, 'admin');
    if (auth.tenantId !== tenantId && auth.tenantId !== 'default') {
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'An admin key creates keys for its own tenant only');
    }
    if (roles.length === 0)
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'roles must name at least one role');
    const store = ctx.engine.store;
    if (tenantId === 'default') await ensureTenant(store, 'default', 'Default');
    else if (!(await store.getTenant(tenantId)))
      throw new GatewayError('LLMT_E_GW_NOT_FOUND', `No tenant "${tenantId}"`);
    const { record, secret } = await createApiKey(store, {
      tenantId,
      roles,
      ...(name ? { name } : {}),
      ...(subject ? { subject } : {}),
      groups: groups ?? [],
      now: new Date(ctx.engine.clock.now()),
    });
    return {
      id: record.keyId,
      secret,
      tenantId,
      roles: record.roles,
      name: record.name,
      subject: record.subject,
      groups: record.groups,
    };
  }
}

/** NOT_FOUND unless the run exists in the caller's tenant (before any engine call with its id). */
async function ensureRun(ctx: GatewayContext, runId: string): Promise<void> {
  const auth = requirePermission(ctx.auth, 'read');
  const run = await ctx.engine.store.getRun(auth.tenantId, runId);
  if (!run || run.tenantId !== auth.tenantId)
    throw new GatewayError('LLMT_E_GW_NOT_FOUND', `No run "${runId}" in this tenant`);
}

/** Answers an interaction of the caller's tenant as the caller. */
async function answer(
  ctx: GatewayContext,
  requestId: string,
  options: {
    action: 'approve' | 'reject' | 'request_changes' | 'respond';
    value?: unknown;
    comment?: string;
  },
): Promise<Interaction> {
  const auth = requirePermission(ctx.auth, 'answer');
  const existing = await ctx.engine.store.getInteraction(auth.tenantId, requestId);
  if (!existing || existing.tenantId !== auth.tenantId) {
    throw new GatewayError('LLMT_E_GW_NOT_FOUND', `No interaction "${requestId}" in this tenant`);
  }
  return toInteraction(await ctx.engine.respond(requestId, { ...scopeOf(auth), ...options }));
}
