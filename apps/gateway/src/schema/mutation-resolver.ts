import { LlmteamError, type Role } from '@llmteam/core';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { createApiKey } from '../auth/api-keys.js';
import { requirePermission, tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { withRetention } from '../util/retention.js';
import { RoleEnum } from './enums.js';
import { toApiKey, toInteraction, toRun, toSegment } from './mappers.js';
import { ApiKey, CreatedApiKey, Interaction, Run, Segment, Tenant } from './object-types.js';
import { toTenant } from './tenant-resolver.js';

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
    return toSegment(await tenantFor(ctx, 'operate').tenant.upsertSegment(definition));
  }

  @Mutation(() => Run)
  async startRun(
    @Ctx() ctx: GatewayContext,
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('input', () => JSONResolver, { nullable: true }) input?: unknown,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey?: string,
    @Arg('version', () => String, { nullable: true }) version?: string,
    // ISO 8601 ("PT4H") or seconds ("90"): overrides the segment's `timeout`.
    @Arg('timeout', () => String, { nullable: true }) timeout?: string,
    // Overrides the segment's `max_retries`.
    @Arg('maxRetries', () => Int, { nullable: true }) maxRetries?: number,
  ): Promise<Run> {
    const run = await tenantFor(ctx, 'operate').tenant.startRun({
      segmentId,
      input: input ?? {},
      ...(version ? { version } : {}),
      ...(timeout != null ? { timeout: /^\d+(\.\d+)?$/.test(timeout) ? Number(timeout) : timeout } : {}),
      ...(maxRetries != null ? { maxRetries } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(ctx.trace ? { traceparent: ctx.trace.traceparent, tracestate: ctx.trace.tracestate } : {}),
    });
    return toRun(run);
  }

  @Mutation(() => Run)
  async cancelRun(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Run> {
    return toRun(await tenantFor(ctx, 'operate').tenant.cancelRun(id, reason ?? undefined));
  }

  @Mutation(() => Run)
  async pauseRun(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Run> {
    return toRun(await tenantFor(ctx, 'operate').tenant.pauseRun(id));
  }

  @Mutation(() => Run)
  async resumeRun(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Run> {
    return toRun(await tenantFor(ctx, 'operate').tenant.resumeRun(id));
  }

  @Mutation(() => Interaction)
  async approve(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'approve', ...(comment ? { comment } : {}) });
  }

  @Mutation(() => Interaction, {
    description:
      "Approves an edited version of a review: e.g. a tool call's changed arguments, which must fit the request's inputSchema",
  })
  async approveWithEdits(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('edits', () => JSONResolver) edits: unknown,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'approve', value: edits, ...(comment ? { comment } : {}) });
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

  @Mutation(() => Interaction, {
    description:
      'Adds a message to an open chat request; the request stays open (IN_PROGRESS) until closeChat or reject',
  })
  async sendMessage(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('text', () => String) text: string,
  ): Promise<Interaction> {
    if (!text.trim())
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'text is empty: a chat message needs some text');
    return answer(ctx, requestId, { action: 'message', value: text });
  }

  @Mutation(() => Interaction, {
    description: "Ends a chat request; the step continues with the conversation's messages in its output",
  })
  async closeChat(
    @Ctx() ctx: GatewayContext,
    @Arg('requestId', () => ID) requestId: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<Interaction> {
    return answer(ctx, requestId, { action: 'close', ...(comment ? { comment } : {}) });
  }

  @Mutation(() => Tenant, {
    description:
      'Sets what the retention sweep deletes: a duration (ISO 8601 "P30D" or seconds) or "never"; a field left out is kept. Admins of the tenant (or of `default`)',
  })
  async setRetention(
    @Ctx() ctx: GatewayContext,
    @Arg('tenantId', () => ID, { nullable: true }) tenantId?: string,
    @Arg('completedRuns', () => String, { nullable: true }) completedRuns?: string,
    @Arg('snapshots', () => String, { nullable: true }) snapshots?: string,
  ): Promise<Tenant> {
    const auth = requirePermission(ctx.auth, 'admin');
    const target = tenantId ?? auth.tenantId;
    if (target !== auth.tenantId && auth.tenantId !== 'default')
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', "An admin key sets its own tenant's retention only");
    const tenant = ctx.engine.forTenant(target, {
      subject: auth.subject,
      groups: auth.groups,
      roles: auth.roles,
    });
    const current = await tenant.getTenant();
    if (!current) throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `Tenant "${target}" does not exist`);
    const { tenantId: _id, ...next } = withRetention(current, {
      ...(completedRuns != null ? { completedRuns } : {}),
      ...(snapshots != null ? { snapshots } : {}),
    });
    return toTenant(await tenant.putTenant(next), ctx.engine.tenants);
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
    @Arg('expiresAt', () => DateTimeResolver, {
      nullable: true,
      description: 'When the key stops working; default never',
    })
    expiresAt?: Date,
  ): Promise<CreatedApiKey> {
    const auth = requirePermission(ctx.auth, 'admin');
    if (auth.tenantId !== tenantId && auth.tenantId !== 'default') {
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'An admin key creates keys for its own tenant only');
    }
    if (roles.length === 0)
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'roles must name at least one role');
    if (expiresAt && expiresAt.getTime() <= ctx.engine.clock.now())
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'expiresAt must be in the future');
    const target = ctx.engine.forTenant(tenantId, {
      subject: auth.subject,
      groups: auth.groups,
      roles: auth.roles,
    });
    if (!(await target.getTenant())) {
      if (tenantId !== 'default') throw new GatewayError('LLMT_E_GW_NOT_FOUND', `No tenant "${tenantId}"`);
      await target.putTenant({
        name: 'Default',
        tier: 'enterprise',
        limits: {},
        createdAt: new Date(ctx.engine.clock.now()).toISOString(),
      });
    }
    const { record, secret } = await createApiKey(target, {
      tenantId,
      roles,
      ...(name ? { name } : {}),
      ...(subject ? { subject } : {}),
      groups: groups ?? [],
      now: new Date(ctx.engine.clock.now()),
      ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    });
    return {
      id: record.keyId,
      secret,
      tenantId,
      roles: record.roles,
      name: record.name,
      subject: record.subject,
      groups: record.groups,
      expiresAt: record.expiresAt,
    };
  }

  @Mutation(() => ApiKey, {
    description:
      "Admins of the key's tenant (or of `default`, naming `tenantId`). HTTP refuses the key at once; its live graphql-ws sessions close with 4403 within seconds",
  })
  async revokeApiKey(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('tenantId', () => ID, { nullable: true })
    tenantId?: string,
  ): Promise<ApiKey> {
    const auth = requirePermission(ctx.auth, 'admin');
    const target = tenantId ?? auth.tenantId;
    if (target !== auth.tenantId && auth.tenantId !== 'default') {
      throw new GatewayError('LLMT_E_GW_FORBIDDEN', 'An admin key revokes keys of its own tenant only');
    }
    const tenant = ctx.engine.forTenant(target, {
      subject: auth.subject,
      groups: auth.groups,
      roles: auth.roles,
    });
    const record = await tenant.revokeApiKey(id, new Date(ctx.engine.clock.now()).toISOString());
    ctx.info.recheckSessions();
    return toApiKey(record);
  }
}

/** Answers an interaction of the caller's tenant as the caller. */
async function answer(
  ctx: GatewayContext,
  requestId: string,
  options: {
    action: 'approve' | 'reject' | 'request_changes' | 'respond' | 'message' | 'close';
    value?: unknown;
    comment?: string;
  },
): Promise<Interaction> {
  return toInteraction(await tenantFor(ctx, 'answer').tenant.respond(requestId, options));
}
