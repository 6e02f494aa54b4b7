import { encodeEventCursor, LlmteamError } from '@llmteam/core';
import { DateTimeResolver } from 'graphql-scalars';
import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { EventConnection } from './event-types.js';
import { toEvent } from './mappers.js';

/** Largest page of `events(first)`: the complexity limit counts on it. */
export const MAX_EVENTS_QUERY_PAGE = 100;
const DEFAULT_EVENTS_QUERY_PAGE = 20;

/** `Query.events`: the tenant's stored events across runs, filtered and paged. */
@Resolver()
export class EventQueryResolver {
  @Query(() => EventConnection, {
    description: `Stored events of the tenant in time order, filtered by type, run, step, segment and time range; \`first\` 1..${MAX_EVENTS_QUERY_PAGE} (default ${DEFAULT_EVENTS_QUERY_PAGE})`,
  })
  async events(
    @Ctx() ctx: GatewayContext,
    @Arg('types', () => [String], { nullable: true }) types?: string[],
    @Arg('runId', () => ID, { nullable: true }) runId?: string,
    @Arg('stepId', () => String, { nullable: true }) stepId?: string,
    @Arg('segmentId', () => ID, { nullable: true }) segmentId?: string,
    @Arg('from', () => DateTimeResolver, { nullable: true }) from?: Date,
    @Arg('to', () => DateTimeResolver, { nullable: true }) to?: Date,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<EventConnection> {
    const { tenant } = tenantFor(ctx, 'read');
    const size = first ?? DEFAULT_EVENTS_QUERY_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_EVENTS_QUERY_PAGE) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `first must be an integer from 1 to ${MAX_EVENTS_QUERY_PAGE}, got ${size}; page with after`,
      );
    }
    const page = await tenant.queryEvents({
      ...(types ? { types } : {}),
      ...(runId ? { runId } : {}),
      ...(stepId ? { stepId } : {}),
      ...(segmentId ? { segmentId } : {}),
      ...(from ? { from: from.toISOString() } : {}),
      ...(to ? { to: to.toISOString() } : {}),
      limit: size,
      ...(after ? { after } : {}),
    });
    const edges = page.items.map((event) => ({ node: toEvent(event), cursor: encodeEventCursor(event) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: page.nextCursor !== undefined,
        endCursor: page.nextCursor ?? edges.at(-1)?.cursor,
      },
    };
  }
}
