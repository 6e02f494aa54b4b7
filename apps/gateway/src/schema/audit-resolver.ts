import type { AuditCheckpoint as AuditCheckpointRecord } from '@llmteam/core';
import { LlmteamError } from '@llmteam/core';
import { Arg, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { toAudit } from './mappers.js';
import { AuditEvent } from './object-types.js';

@ObjectType({
  description:
    "A signed statement of the tenant's audit log: its size, the hash of its last entry and its Merkle tree head (Ed25519)",
})
export class AuditCheckpoint {
  @Field(() => Int) size!: number;
  @Field(() => String) headHash!: string;
  @Field(() => String, { description: 'RFC 6962-style Merkle tree head over entries 1..size' })
  rootHash!: string;
  @Field(() => String, { description: 'When it was signed (ISO 8601)' }) timestamp!: string;
  @Field(() => String) keyId!: string;
  @Field(() => String, { description: 'Base64 Ed25519 signature' }) signature!: string;
  @Field(() => Int) format!: number;
  @Field(() => String) tenantId!: string;
}

@ObjectType({ description: 'Proof that one audit entry is in the log, against a signed checkpoint' })
export class AuditInclusionProof {
  @Field(() => AuditEvent) entry!: AuditEvent;
  @Field(() => Int) leafIndex!: number;
  @Field(() => Int) treeSize!: number;
  @Field(() => [String], { description: 'Sibling hashes from the leaf up (hex)' }) path!: string[];
  @Field(() => AuditCheckpoint) checkpoint!: AuditCheckpoint;
  @Field(() => String, {
    description:
      'The whole proof as JSON, as `verifyAuditInclusion` (core) and `llmteam audit verify-proof` take it',
  })
  json!: string;
}

const toCheckpoint = (cp: AuditCheckpointRecord): AuditCheckpoint => ({ ...cp });

/** Audit checkpoints and inclusion proofs of the caller's tenant. */
@Resolver()
export class AuditResolver {
  @Query(() => AuditCheckpoint, {
    nullable: true,
    description: "The tenant's newest signed audit checkpoint",
  })
  async auditCheckpoint(@Ctx() ctx: GatewayContext): Promise<AuditCheckpoint | undefined> {
    const cp = await tenantFor(ctx, 'read').tenant.latestAuditCheckpoint();
    return cp && toCheckpoint(cp);
  }

  @Query(() => String, {
    description: "The Ed25519 public key (PEM) that verifies this deployment's checkpoints",
  })
  auditPublicKey(@Ctx() ctx: GatewayContext): string {
    tenantFor(ctx, 'read');
    return ctx.engine.audit.publicKeyPem;
  }

  @Query(() => AuditInclusionProof, {
    description: 'Merkle inclusion proof of audit entry `seq` against the newest checkpoint covering it',
  })
  async auditProof(
    @Ctx() ctx: GatewayContext,
    @Arg('seq', () => Int) seq: number,
  ): Promise<AuditInclusionProof> {
    if (!Number.isInteger(seq) || seq < 1)
      throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', `seq must be a whole number from 1, got ${seq}`);
    const proof = await tenantFor(ctx, 'read').tenant.auditProof(seq);
    return {
      entry: toAudit(proof.entry),
      leafIndex: proof.leafIndex,
      treeSize: proof.treeSize,
      path: proof.path,
      checkpoint: toCheckpoint(proof.checkpoint),
      json: JSON.stringify(proof),
    };
  }

  @Mutation(() => AuditCheckpoint, {
    description: "Admins: signs, stores and anchors a checkpoint of the tenant's audit log now",
  })
  async createAuditCheckpoint(@Ctx() ctx: GatewayContext): Promise<AuditCheckpoint> {
    return toCheckpoint(await tenantFor(ctx, 'admin').tenant.auditCheckpoint());
  }
}
