import { JSONResolver } from 'graphql-scalars';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import type { InteractionSource } from './mappers.js';
import { Interaction } from './object-types.js';
import { redactPaths } from './redact-paths.js';
import { readOnce } from './request-reads.js';

/** The `sealed_fields` of each step of a segment version, by step id. */
type SealedBySteps = Map<string, string[]>;

function sealedBySteps(definition: unknown): SealedBySteps {
  const steps = (definition as { steps?: Array<{ step_id?: string; config?: unknown }> })?.steps ?? [];
  const byStep: SealedBySteps = new Map();
  for (const step of steps) {
    const sealed = (step.config as { sealed_fields?: unknown } | undefined)?.sealed_fields;
    if (typeof step.step_id === 'string' && Array.isArray(sealed))
      byStep.set(
        step.step_id,
        sealed.filter((p): p is string => typeof p === 'string'),
      );
  }
  return byStep;
}

/**
 * The `sealed_fields` of the step that opened an interaction, from its run's segment
 * version. Within one request each run and each segment version is read once, however
 * many of its interactions a page holds.
 */
async function sealedFieldsOf(ctx: GatewayContext, source: InteractionSource): Promise<string[]> {
  const { tenant } = tenantFor(ctx, 'read');
  const view = await readOnce(ctx, `run:${source.runId}`, () => tenant.getRun(source.runId));
  if (!view) return [];
  const { segmentId, segmentVersion } = view.run;
  const byStep = await readOnce(ctx, `sealed:${segmentId}@${segmentVersion}`, async () =>
    sealedBySteps((await tenant.getSegment(segmentId, segmentVersion))?.definition),
  );
  return byStep.get(source.stepId) ?? [];
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
