import { DateTimeResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { ProcessMap, ProcessMetrics } from './process-types.js';

/** `processMap` and `processMetrics`: process analytics of a segment's runs. */
@Resolver()
export class ProcessResolver {
  @Query(() => ProcessMap, {
    description:
      'Directly-follows map (frequencies and durations) of the runs of a segment created within [from, to]',
  })
  async processMap(
    @Ctx() ctx: GatewayContext,
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('from', () => DateTimeResolver, { nullable: true }) from?: Date,
    @Arg('to', () => DateTimeResolver, { nullable: true }) to?: Date,
  ): Promise<ProcessMap> {
    return tenantFor(ctx, 'read').tenant.processMap({
      segmentId,
      ...(from ? { from: from.toISOString() } : {}),
      ...(to ? { to: to.toISOString() } : {}),
    });
  }

  @Query(() => ProcessMetrics, {
    description:
      'Throughput time percentiles, waiting time per human step, rework loops per review and SLA breach rates of the runs of a segment created within [from, to]',
  })
  async processMetrics(
    @Ctx() ctx: GatewayContext,
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('from', () => DateTimeResolver, { nullable: true }) from?: Date,
    @Arg('to', () => DateTimeResolver, { nullable: true }) to?: Date,
  ): Promise<ProcessMetrics> {
    return tenantFor(ctx, 'read').tenant.processMetrics({
      segmentId,
      ...(from ? { from: from.toISOString() } : {}),
      ...(to ? { to: to.toISOString() } : {}),
    });
  }
}
