import { encodeSnapshotCursor, LlmteamError, type SnapshotQuery, type SnapshotReason } from '@llmteam/core';
import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { SnapshotReasonEnum, SnapshotTypeEnum } from './enums.js';
import { toRun, toSnapshot } from './mappers.js';
import { PageInfo, Run, Snapshot } from './object-types.js';
import { MAX_PAGE_SIZE } from './query-resolver.js';

@ObjectType()
export class SnapshotEdge {
  @Field(() => Snapshot) node!: Snapshot;
  @Field(() => String) cursor!: string;
}

@ObjectType({ description: 'Snapshots, newest first (Relay connection)' })
export class SnapshotConnection {
  @Field(() => [SnapshotEdge]) edges!: SnapshotEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** The filter arguments both snapshot queries take. */
function filter(runId?: string, segmentId?: string, reason?: SnapshotReason): SnapshotQuery {
  return {
    ...(runId ? { runId } : {}),
    ...(segmentId ? { segmentId } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** Snapshots: list (by run, segment, reason), latest, take (manual or a labelled checkpoint), delete, restore, fork. */
@Resolver()
export class SnapshotResolver {
  @Query(() => SnapshotConnection, { description: 'Snapshots of the tenant, newest first' })
  async snapshots(
    @Ctx() ctx: GatewayContext,
    @Arg('runId', () => ID, { nullable: true }) runId?: string,
    @Arg('segmentId', () => ID, { nullable: true }) segmentId?: string,
    @Arg('reason', () => SnapshotReasonEnum, { nullable: true }) reason?: SnapshotReason,
    @Arg('first', () => Int, { nullable: true, description: `Page size, 1..${MAX_PAGE_SIZE}; default 20` })
    first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<SnapshotConnection> {
    const { tenant } = tenantFor(ctx, 'read');
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `first must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${size}`,
      );
    }
    const page = await tenant.querySnapshots({
      ...filter(runId, segmentId, reason),
      limit: size,
      ...(after ? { after } : {}),
    });
    // A record's sort key is the cursor after it: every edge can continue the listing.
    const edges = page.items.map((s) => ({ node: toSnapshot(s), cursor: encodeSnapshotCursor(s) }));
    return {
      edges,
      pageInfo: { hasNextPage: page.nextCursor !== undefined, endCursor: edges.at(-1)?.cursor },
    };
  }

  @Query(() => Snapshot, {
    nullable: true,
    description: 'The newest snapshot of a run, a segment or the tenant; null when there is none',
  })
  async latestSnapshot(
    @Ctx() ctx: GatewayContext,
    @Arg('runId', () => ID, { nullable: true }) runId?: string,
    @Arg('segmentId', () => ID, { nullable: true }) segmentId?: string,
    @Arg('reason', () => SnapshotReasonEnum, { nullable: true }) reason?: SnapshotReason,
  ): Promise<Snapshot | null> {
    const found = await tenantFor(ctx, 'read').tenant.latestSnapshot(filter(runId, segmentId, reason));
    return found ? toSnapshot(found) : null;
  }

  @Mutation(() => Snapshot, { description: 'Takes a snapshot of a run now; audited' })
  async createSnapshot(
    @Ctx() ctx: GatewayContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('type', () => SnapshotTypeEnum, { nullable: true }) type?: 'manual' | 'checkpoint',
    @Arg('label', () => String, { nullable: true }) label?: string,
  ): Promise<Snapshot> {
    return toSnapshot(
      await tenantFor(ctx, 'operate').tenant.createSnapshot(runId, {
        ...(type ? { type } : {}),
        ...(label !== undefined && label !== null ? { label } : {}),
      }),
    );
  }

  @Mutation(() => Snapshot, { description: 'Deletes a snapshot (audited as `snapshot.deleted`); returns it' })
  async deleteSnapshot(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Snapshot> {
    return toSnapshot(await tenantFor(ctx, 'operate').tenant.deleteSnapshot(id));
  }

  @Mutation(() => Run, {
    description: "Puts the snapshot's run back to the snapshot's state (checksum verified) and continues it",
  })
  async restoreSnapshot(
    @Ctx() ctx: GatewayContext,
    @Arg('snapshotId', () => ID) snapshotId: string,
  ): Promise<Run> {
    return toRun(await tenantFor(ctx, 'operate').tenant.restoreSnapshot(snapshotId));
  }

  @Mutation(() => Run, { description: "Starts a new run from a snapshot's state (checksum verified)" })
  async forkRun(@Ctx() ctx: GatewayContext, @Arg('snapshotId', () => ID) snapshotId: string): Promise<Run> {
    return toRun(await tenantFor(ctx, 'operate').tenant.forkRun(snapshotId));
  }
}
