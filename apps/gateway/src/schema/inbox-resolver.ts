import { interactionDueKey, LlmteamError, OPEN_INTERACTION_STATUSES } from '@llmteam/core';
import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { toInteraction } from './mappers.js';
import { Interaction } from './object-types.js';

/** Largest page `inbox(first)` returns. */
export const MAX_INBOX_PAGE = 500;

@ObjectType({ description: 'A page of open requests in SLA order (earliest breach, else deadline, first)' })
export class InboxPage {
  @Field(() => [Interaction]) items!: Interaction[];
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page' })
  endCursor?: string;
  @Field(() => Boolean) hasMore!: boolean;
}

function encode(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decode(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  // A due key is `<breach or deadline or 9999>|<createdAt>|<id>`.
  if (key.split('|').length < 3)
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      'after is not a cursor returned by inbox(); pass the endCursor of the previous page',
    );
  return key;
}

/** `inbox` and `openInteractionCount`: the inbox a page at a time, from the store's due index. */
@Resolver()
export class InboxResolver {
  @Query(() => InboxPage, {
    description:
      'Open requests, most urgent first, a page at a time (read from the SLA index, whatever the number of waiting runs). `assignee`: only requests that user (or `group:NAME`) may answer',
  })
  async inbox(
    @Ctx() ctx: GatewayContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('assignee', () => String, { nullable: true }) assignee?: string,
  ): Promise<InboxPage> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_INBOX_PAGE)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `first must be an integer from 1 to ${MAX_INBOX_PAGE}, got ${first}`,
      );
    const records = await tenantFor(ctx, 'read').tenant.listInteractions({
      status: [...OPEN_INTERACTION_STATUSES],
      ...(assignee ? { assignee } : {}),
      limit: first + 1,
      ...(after ? { after: decode(after) } : {}),
    });
    const items = records.slice(0, first);
    const last = items.at(-1);
    return {
      items: items.map(toInteraction),
      hasMore: records.length > first,
      ...(last ? { endCursor: encode(interactionDueKey(last)) } : {}),
    };
  }

  @Query(() => Interaction, {
    nullable: true,
    description:
      'One request by id, open or closed, with all its fields (an inbox lists a page of short rows, then reads the one a person opens); null when the tenant has none of that id',
  })
  async interaction(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
  ): Promise<Interaction | null> {
    const record = await tenantFor(ctx, 'read').tenant.getInteraction(id);
    return record ? toInteraction(record) : null;
  }

  @Query(() => Int, {
    description: 'How many requests are open; `assignee`: only those that user (or `group:NAME`) may answer',
  })
  async openInteractionCount(
    @Ctx() ctx: GatewayContext,
    @Arg('assignee', () => String, { nullable: true }) assignee?: string,
  ): Promise<number> {
    const records = await tenantFor(ctx, 'read').tenant.listInteractions({
      status: [...OPEN_INTERACTION_STATUSES],
      ...(assignee ? { assignee } : {}),
    });
    return records.length;
  }
}
