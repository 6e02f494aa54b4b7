import { JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import { can, requireAuth, tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';

/** Sealed values of a run, opened. */
@ObjectType({
  description: "Sealed values of a run (its input, or one step's outputs) with every sealed value opened",
})
export class UnsealedValues {
  @Field(() => ID) runId!: string;
  @Field(() => ID, {
    nullable: true,
    description: 'The step whose outputs were opened; null for the run input',
  })
  stepId?: string;
  @Field(() => [String], { description: 'Paths (JSON pointers) of the sealed values that were opened' })
  fields!: string[];
  @Field(() => JSONResolver, { nullable: true }) value?: unknown;
}

/** `unsealRun`: the one way plaintext of sealed fields leaves the gateway. */
@Resolver()
export class UnsealResolver {
  @Mutation(() => UnsealedValues, {
    description:
      "Opens the sealed values of a run's input (or of one step's outputs); needs the UNSEALER role and appends a `run.unsealed` audit entry before anything is returned",
  })
  async unsealRun(
    @Ctx() ctx: GatewayContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('stepId', () => ID, { nullable: true }) stepId?: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<UnsealedValues> {
    const caller = requireAuth(ctx.auth);
    if (!can(caller, 'unseal')) {
      throw new GatewayError(
        'LLMT_E_GW_UNSEAL_FORBIDDEN',
        `Roles [${caller.roles.join(', ')}] may not read sealed values; unsealRun needs a key with the UNSEALER role`,
      );
    }
    const { tenant } = tenantFor(ctx, 'unseal');
    const result = await tenant.unseal(runId, {
      ...(stepId ? { stepId } : {}),
      ...(reason ? { reason } : {}),
    });
    return { runId: result.runId, stepId: result.stepId, fields: result.fields, value: result.value };
  }
}
