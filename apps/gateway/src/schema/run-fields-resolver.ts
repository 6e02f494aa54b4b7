import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requirePermission, scopeOf } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { type RunSource, toEvent, toInteraction, toSnapshot, toStep, toTimer } from './mappers.js';
import { Interaction, Run, Snapshot, StepState, WaitingOn, WorktrailEvent } from './object-types.js';

/** The nested fields of a run, read only when a query asks for them. */
@Resolver(() => Run)
export class RunFieldsResolver {
  @FieldResolver(() => [StepState])
  async steps(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<StepState[]> {
    const steps = run.preloadedSteps ?? (await ctx.engine.store.getSteps(run.tenantId, run.id));
    return steps.map(toStep);
  }

  @FieldResolver(() => [WorktrailEvent], { description: 'Stored events in seq order' })
  async events(
    @Root() run: RunSource,
    @Ctx() ctx: GatewayContext,
    @Arg('afterSeq', () => Int, { nullable: true }) afterSeq?: number,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
  ): Promise<WorktrailEvent[]> {
    const events = await ctx.engine.store.listEvents(run.tenantId, run.id, {
      afterSeq: afterSeq ?? 0,
      ...(limit ? { limit } : {}),
    });
    return events.map(toEvent);
  }

  @FieldResolver(() => [Interaction])
  async interactions(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<Interaction[]> {
    const auth = requirePermission(ctx.auth, 'read');
    return (await ctx.engine.listInteractions({ ...scopeOf(auth), runId: run.id })).map(toInteraction);
  }

  @FieldResolver(() => [Snapshot])
  async snapshots(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<Snapshot[]> {
    return (await ctx.engine.store.listSnapshots(run.tenantId, run.id)).map(toSnapshot);
  }

  @FieldResolver(() => WaitingOn, {
    description: 'Open interactions, timers and suspended steps the run waits for',
  })
  async waitingOn(@Root() run: RunSource, @Ctx() ctx: GatewayContext): Promise<WaitingOn> {
    const auth = requirePermission(ctx.auth, 'read');
    const waiting = await ctx.engine.waitingOn(run.id, scopeOf(auth));
    return {
      interactions: waiting.interactions.map(toInteraction),
      timers: waiting.timers.map(toTimer),
      actions: waiting.actions.map(toStep),
    };
  }
}
