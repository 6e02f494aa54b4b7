import {
  type InteractionStatus,
  LlmteamError,
  OPEN_INTERACTION_STATUSES,
  type RunStatus,
  type StepCategory,
} from '@llmteam/core';
import { DateTimeResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { requireAuth, requirePermission, tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { decodeRunCursor, encodeRunCursor } from './cursor.js';
import { InteractionStatusEnum, RunStatusEnum, StepCategoryEnum } from './enums.js';
import { toApiKey, toAudit, toInteraction, toRun, toSegment, toStepType } from './mappers.js';
import {
  Action,
  ApiKey,
  AuditEvent,
  AuditVerification,
  Health,
  Interaction,
  Run,
  RunConnection,
  Segment,
  StepType,
  TokenUsage,
  Viewer,
} from './object-types.js';
import { readOnce } from './request-reads.js';
import { waitingRuns } from './waiting-runs.js';

/** Largest page `runs(first)` returns. */
export const MAX_PAGE_SIZE = 100;

@Resolver()
export class QueryResolver {
  @Query(() => Health, { description: 'Liveness; answers without an API key' })
  async health(@Ctx() ctx: GatewayContext): Promise<Health> {
    return {
      status: ctx.info.isShuttingDown() ? 'shutting_down' : 'ok',
      version: ctx.info.version,
      store: ctx.info.storeName,
      uptimeSeconds: (Date.now() - ctx.info.startedAt) / 1000,
    };
  }

  @Query(() => Viewer, { description: 'The caller, as its API key describes it' })
  viewer(@Ctx() ctx: GatewayContext): Viewer {
    const auth = requireAuth(ctx.auth);
    return { tenantId: auth.tenantId, subject: auth.subject, groups: auth.groups, roles: auth.roles };
  }

  @Query(() => [StepType])
  stepTypes(
    @Ctx() ctx: GatewayContext,
    @Arg('category', () => StepCategoryEnum, { nullable: true }) category?: StepCategory,
  ): StepType[] {
    requirePermission(ctx.auth, 'read');
    return ctx.engine.catalog.info(category ?? undefined).map(toStepType);
  }

  @Query(() => [Action], { description: 'Named actions with their type, limits and live state' })
  actions(@Ctx() ctx: GatewayContext): Action[] {
    requirePermission(ctx.auth, 'read');
    return ctx.engine.actions.list().map((a) => ({
      name: a.name,
      type: a.type,
      description: a.description,
      source: a.source,
      timeoutMs: a.timeout_ms,
      retryCount: a.retry_count,
      rateLimit: a.rate_limit,
      circuitBreaker: a.circuit_breaker,
      maxConcurrency: a.max_concurrency,
      circuitState: a.circuit_state,
      inFlight: a.in_flight,
      problems: a.problems,
    }));
  }

  @Query(() => [Segment])
  async segments(@Ctx() ctx: GatewayContext): Promise<Segment[]> {
    return (await tenantFor(ctx, 'read').tenant.listSegments()).map(toSegment);
  }

  @Query(() => Segment, { nullable: true })
  async segment(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('version', () => String, { nullable: true }) version?: string,
  ): Promise<Segment | null> {
    const record = await tenantFor(ctx, 'read').tenant.getSegment(id, version ?? undefined);
    return record ? toSegment(record) : null;
  }

  @Query(() => RunConnection, {
    description:
      'Runs of the tenant, newest first. `waitingOn` (a user, or `group:NAME`): only runs with an open request that one may answer, the most urgent first',
  })
  async runs(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => RunStatusEnum, { nullable: true }) status?: RunStatus,
    @Arg('segmentId', () => ID, { nullable: true }) segmentId?: string,
    @Arg('first', () => Int, { nullable: true, description: `Page size, 1..${MAX_PAGE_SIZE}; default 20` })
    first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('waitingOn', () => String, { nullable: true }) waitingOn?: string,
  ): Promise<RunConnection> {
    const { tenant } = tenantFor(ctx, 'read');
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `first must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${size}`,
      );
    }
    if (waitingOn)
      return waitingRuns(
        tenant,
        {
          waitingOn,
          first: size,
          ...(status ? { status } : {}),
          ...(segmentId ? { segmentId } : {}),
          ...(after ? { after } : {}),
        },
        (runId) => readOnce(ctx, `run:${runId}`, () => tenant.getRun(runId)),
      );
    const start = after ? decodeRunCursor(after) : { storeCursor: undefined, skip: 0 };
    const page = await tenant.listRuns({
      status: status ?? undefined,
      segmentId: segmentId ?? undefined,
      limit: start.skip + size,
      after: start.storeCursor,
    });
    const items = page.items.slice(start.skip);
    const edges = items.map((run, index) => ({
      node: toRun(run),
      cursor:
        index === items.length - 1 && page.nextCursor !== undefined
          ? encodeRunCursor({ storeCursor: page.nextCursor, skip: 0 })
          : encodeRunCursor({ storeCursor: start.storeCursor, skip: start.skip + index + 1 }),
    }));
    return {
      edges,
      pageInfo: { hasNextPage: page.nextCursor !== undefined, endCursor: edges.at(-1)?.cursor },
    };
  }

  @Query(() => Run, { nullable: true, description: 'A run of the tenant; null when there is none' })
  async run(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Run | null> {
    const view = await tenantFor(ctx, 'read').tenant.getRun(id);
    return view ? toRun(view.run, view.steps) : null;
  }

  @Query(() => [Interaction], {
    description:
      'Inbox ordered by SLA deadline. Without `status`: open requests only. `assignee`: only requests that user (or group) may answer. `first`: only the first N (open requests come from the SLA index, whatever the number of waiting runs)',
  })
  async interactions(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => InteractionStatusEnum, { nullable: true }) status?: InteractionStatus,
    @Arg('assignee', () => String, { nullable: true }) assignee?: string,
    @Arg('runId', () => ID, { nullable: true }) runId?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
  ): Promise<Interaction[]> {
    if (first !== undefined && first !== null && (!Number.isInteger(first) || first < 1))
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `first must be a whole number >= 1, got ${first}`);
    const open = !status || OPEN_INTERACTION_STATUSES.includes(status);
    const records = await tenantFor(ctx, 'read').tenant.listInteractions({
      status: status ?? [...OPEN_INTERACTION_STATUSES],
      ...(assignee ? { assignee } : {}),
      ...(runId ? { runId } : {}),
      ...(first && open ? { limit: first } : {}),
    });
    // The engine lists the inbox in SLA order: earliest breach (or deadline) first.
    return (first ? records.slice(0, first) : records).map(toInteraction);
  }

  @Query(() => [AuditEvent], {
    description:
      'Audit entries of the tenant in chain order, within [from, to]; a page with `first` (at most that many) and `after` (the seq of the last entry of the page before)',
  })
  async auditEvents(
    @Ctx() ctx: GatewayContext,
    @Arg('from', () => DateTimeResolver, { nullable: true }) from?: Date,
    @Arg('to', () => DateTimeResolver, { nullable: true }) to?: Date,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => Int, { nullable: true }) after?: number,
  ): Promise<AuditEvent[]> {
    const records = await tenantFor(ctx, 'read').tenant.listAudit({
      from: from?.toISOString(),
      to: to?.toISOString(),
      ...(first !== undefined && first !== null ? { limit: first } : {}),
      ...(after !== undefined && after !== null ? { afterSeq: after } : {}),
    });
    return records.map(toAudit);
  }

  @Query(() => [ApiKey], { description: "Admins: the tenant's API keys (never their secrets)" })
  async apiKeys(@Ctx() ctx: GatewayContext): Promise<ApiKey[]> {
    return (await tenantFor(ctx, 'admin').tenant.listApiKeys()).map(toApiKey);
  }

  @Query(() => TokenUsage, {
    description: "Token usage of the caller's tenant between two times (default: all), with a cost estimate",
  })
  async tenantUsage(
    @Ctx() ctx: GatewayContext,
    @Arg('from', () => DateTimeResolver, { nullable: true }) from?: Date,
    @Arg('to', () => DateTimeResolver, { nullable: true }) to?: Date,
  ): Promise<TokenUsage> {
    return tenantFor(ctx, 'read').tenant.tenantTokenUsage({
      ...(from ? { from: new Date(from).toISOString() } : {}),
      ...(to ? { to: new Date(to).toISOString() } : {}),
    });
  }

  @Query(() => AuditVerification, { description: "Recomputes the tenant's audit hash chain" })
  async verifyAuditChain(@Ctx() ctx: GatewayContext): Promise<AuditVerification> {
    return tenantFor(ctx, 'read').tenant.verifyAudit();
  }
}
