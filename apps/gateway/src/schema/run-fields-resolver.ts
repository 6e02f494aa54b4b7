import {
  type WaitingOn as CoreWaitingOn,
  type WorktrailEvent as EventRecord,
  LlmteamError,
} from '@llmteam/core';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { type RunSource, toEvent, toInteraction, toSnapshot, toStep, toTimer } from './mappers.js';
import {
  Interaction,
  Run,
  Snapshot,
  StepState,
  TokenUsage,
  WaitingChild,
  WaitingOn,
  WorktrailEvent,
} from './object-types.js';
import { readOnce } from './request-reads.js';

/** Events per `Run.events` page: the complexity limit counts on it. */
const MAX_EVENTS_PAGE = 500;
const DEFAULT_EVENTS_PAGE = 100;

/** Up to `limit` events of `types` after `afterSeq`, in seq order, read through the run's log in pages. */
async function eventsOfTypes(
  ctx: GatewayContext,
  run: RunSource,
  types: string[],
  afterSeq: number,
  limit: number,
): Promise<EventRecord[]> {
  const wanted = new Set(types);
  const found: EventRecord[] = [];
  let seq = afterSeq;
  for (;;) {
    const page = await tenantFor(ctx, 'read').tenant.listEvents(run.id, {
      afterSeq: seq,
      limit: MAX_EVENTS_PAGE,
    });
    for (const event of page) {
      if (!wanted.has(event.type)) continue;
      found.push(event);
      if (found.length === limit) return found;
    }
    if (page.length < MAX_EVENTS_PAGE) return found;
    seq = page[page.length - 1].seq;
  }
}

/** The nested fields of a run, read only when a query asks for them. */
@Resolver(() => Run)
export class RunFieldsResolver {
  @FieldResolver(() => [StepState])
  async steps(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<StepState[]> {
    const { tenant } = tenantFor(ctx, 'read');
    const steps = run.preloadedSteps ?? (await tenant.getSteps(run.id));
    const usage = (await readOnce(ctx, `usage:${run.id}`, () => tenant.tokenUsage(run.id))).steps;
    return steps.map((s) => ({ ...toStep(s), usage: usage.get(s.stepId) }));
  }

  @FieldResolver(() => TokenUsage, {
    description: "Token usage of the run's model calls, with a cost estimate from the config's `llm.prices`",
  })
  async usage(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<TokenUsage> {
    const { tenant } = tenantFor(ctx, 'read');
    return (await readOnce(ctx, `usage:${run.id}`, () => tenant.tokenUsage(run.id))).total;
  }

  @FieldResolver(() => [WorktrailEvent], {
    description: `Stored events in seq order, at most \`limit\` (1..${MAX_EVENTS_PAGE}, default ${DEFAULT_EVENTS_PAGE}) after \`afterSeq\`, only of \`types\` when given`,
  })
  async events(
    @Root() run: RunSource,
    @Ctx() ctx: GatewayContext,
    @Arg('afterSeq', () => Int, { nullable: true }) afterSeq?: number,
    @Arg('limit', () => Int, { nullable: true, defaultValue: DEFAULT_EVENTS_PAGE }) limit?: number,
    @Arg('types', () => [String], { nullable: true }) types?: string[],
  ): Promise<WorktrailEvent[]> {
    const size = limit ?? DEFAULT_EVENTS_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_EVENTS_PAGE) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `limit must be an integer from 1 to ${MAX_EVENTS_PAGE}, got ${size}; page with afterSeq`,
      );
    }
    if (afterSeq !== undefined && afterSeq !== null && (!Number.isInteger(afterSeq) || afterSeq < 0)) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `afterSeq must be a whole number >= 0, got ${afterSeq}`,
      );
    }
    if (types?.length) return (await eventsOfTypes(ctx, run, types, afterSeq ?? 0, size)).map(toEvent);
    const events = await tenantFor(ctx, 'read').tenant.listEvents(run.id, {
      afterSeq: afterSeq ?? 0,
      limit: size,
    });
    return events.map(toEvent);
  }

  @FieldResolver(() => [Interaction])
  async interactions(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<Interaction[]> {
    return (await tenantFor(ctx, 'read').tenant.listInteractions({ runId: run.id })).map(toInteraction);
  }

  @FieldResolver(() => [Snapshot])
  async snapshots(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<Snapshot[]> {
    return (await tenantFor(ctx, 'read').tenant.listSnapshots(run.id)).map(toSnapshot);
  }

  @FieldResolver(() => WaitingOn, {
    description: 'Open interactions, timers and suspended steps the run waits for',
  })
  async waitingOn(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<WaitingOn> {
    const waiting = await tenantFor(ctx, 'read').tenant.waitingOn(run.id);
    return {
      interactions: waiting.interactions.map(toInteraction),
      timers: waiting.timers.map(toTimer),
      actions: waiting.actions.map(toStep),
      children: flattenChildren(waiting.children),
    };
  }
}

/** The child runs of a `waitingOn`, depth first. */
function flattenChildren(children: CoreWaitingOn['children']): WaitingChild[] {
  return children.flatMap((c) => [
    { stepId: c.stepId, runId: c.run.runId, segmentId: c.run.segmentId, status: c.run.status },
    ...flattenChildren(c.waitingOn.children),
  ]);
}
