import { JSONResolver } from 'graphql-scalars';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import type { InteractionSource } from './mappers.js';
import { Interaction } from './object-types.js';
import { redactPaths } from './redact-paths.js';

/** The `sealed_fields` of the step that opened an interaction, from its run's segment version. */
async function sealedFieldsOf(ctx: GatewayContext, source: InteractionSource): Promise<string[]> {
  const { tenant } = tenantFor(ctx, 'read');
  const view = await tenant.getRun(source.runId);
  if (!view) return [];
  const segment = await tenant.getSegment(view.run.segmentId, view.run.segmentVersion);
  const steps = (segment?.definition as { steps?: Array<{ step_id?: string; config?: unknown }> })?.steps;
  const config = steps?.find((s) => s.step_id === source.stepId)?.config as
    | { sealed_fields?: unknown }
    | undefined;
  const sealed = config?.sealed_fields;
  return Array.isArray(sealed) ? sealed.filter((p): p is string => typeof p === 'string') : [];
}

/** Fields of an interaction that need more than its record. */
@Resolver(() => Interaction)
export class InteractionFieldsResolver {
  @FieldResolver(() => JSONResolver, {
    nullable: true,
    description:
      'What the person decides on: the request\'s context, with the values at the step\'s `sealed_fields` paths (dotted, e.g. `customer.tax_id`, or JSON pointers) shown as "[sealed]"',
  })
  async context(@Root() source: InteractionSource, @Ctx() ctx: GatewayContext): Promise<unknown> {
    const context = source.record?.settings?.context;
    if (context === undefined || context === null) return null;
    const sealed = await sealedFieldsOf(ctx, source);
    return sealed.length ? redactPaths(context, sealed) : context;
  }
}
