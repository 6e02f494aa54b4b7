import {
  mayAnswer as coreMayAnswer,
  type WorktrailEvent as EventRecord,
  type InteractionRecord,
  OPEN_INTERACTION_STATUSES,
} from '@llmteam/core';
import { Arg, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import type { AuthInfo } from '../auth/api-keys.js';
import { can, tenantFor } from '../auth/permissions.js';
import type { GatewayContext } from '../context.js';
import { abortableIterator, createPushIterator } from '../util/async-iterators.js';
import { toEvent, toInteraction } from './mappers.js';
import { Interaction, WorktrailEvent } from './object-types.js';

interface SubscribeData<Args> {
  args: Args;
  context: GatewayContext;
}

/** Whether the caller may answer a request: the engine's own rule, within the caller's tenant and role. */
export function mayAnswer(auth: AuthInfo, interaction: InteractionRecord): boolean {
  if (interaction.tenantId !== auth.tenantId || !can(auth, 'answer')) return false;
  return coreMayAnswer(interaction, { subject: auth.subject, groups: auth.groups, roles: auth.roles });
}

/** Requests remembered per subscription to announce each (and each escalation) once. */
const SEEN_KEPT = 10_000;

function interactionIdOf(event: EventRecord): string | undefined {
  const data = event.data ?? {};
  for (const key of ['interactionId', 'interaction_id', 'requestId']) {
    if (typeof data[key] === 'string') return data[key] as string;
  }
  return undefined;
}

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => WorktrailEvent, {
    description:
      'Events of one run: the stored ones after `afterSeq`, then live ones, with no gap or duplicate; between them the live `step.progress` events of streaming steps (`seq` 0, not stored), starting with the partial output so far',
    subscribe: async ({ args, context }: SubscribeData<{ runId: string; afterSeq?: number | null }>) => {
      const { tenant } = tenantFor(context, 'read');
      const stop = new AbortController();
      // The facade checks the run first, so a foreign id fails as NOT_FOUND before anything streams.
      const inner = await tenant.events(args.runId, {
        afterSeq: args.afterSeq ?? 0,
        signal: stop.signal,
        progress: true,
      });
      return abortableIterator(
        (signal) => {
          signal.addEventListener('abort', () => stop.abort(), { once: true });
          return inner;
        },
        (event) => event,
      );
    },
  })
  runEvents(
    @Root() event: EventRecord,
    @Arg('runId', () => ID) _runId: string,
    @Arg('afterSeq', () => Int, { nullable: true }) _afterSeq?: number,
  ): WorktrailEvent {
    return toEvent(event);
  }

  @Subscription(() => WorktrailEvent, {
    description: "Live events of the caller's tenant, optionally only the given types",
    subscribe: ({ args, context }: SubscribeData<{ types?: string[] | null }>) => {
      const { tenant } = tenantFor(context, 'read');
      let unsubscribe = () => {};
      const iterator = createPushIterator<EventRecord>(() => unsubscribe());
      unsubscribe = tenant.onEvent((event) => iterator.push(event), {
        ...(args.types?.length ? { types: args.types } : {}),
      });
      return iterator;
    },
  })
  events(
    @Root() event: EventRecord,
    @Arg('types', () => [String], { nullable: true }) _types?: string[],
  ): WorktrailEvent {
    return toEvent(event);
  }

  @Subscription(() => Interaction, {
    description: 'New requests the caller may answer, and requests escalated to the caller',
    subscribe: ({ context }: SubscribeData<Record<string, never>>) => {
      const { auth, tenant } = tenantFor(context, 'answer');
      let unsubscribe = () => {};
      const iterator = createPushIterator<InteractionRecord>(() => unsubscribe());
      const seen = new Set<string>();
      const deliver = async (event: EventRecord) => {
        const id = interactionIdOf(event);
        const candidates = id
          ? [await tenant.getInteraction(id)]
          : await tenant.listInteractions({
              runId: event.run_id,
              status: [...OPEN_INTERACTION_STATUSES],
            });
        for (const interaction of candidates) {
          // An escalation is a new chance to answer: announced again at each level.
          const key = `${interaction?.interactionId}:${interaction?.escalationLevel}`;
          if (!interaction || seen.has(key) || !mayAnswer(auth, interaction)) continue;
          if (!id && event.step_id && interaction.stepId !== event.step_id) continue;
          seen.add(key);
          if (seen.size > SEEN_KEPT) seen.delete(seen.values().next().value as string);
          iterator.push(interaction);
        }
      };
      // Deliveries are chained so requests arrive in event order.
      let chain = Promise.resolve();
      unsubscribe = tenant.onEvent(
        (event) => {
          chain = chain
            .then(() => deliver(event))
            .catch((error: unknown) =>
              context.logger.warn({ err: error }, 'interactionRequested delivery failed'),
            );
        },
        { types: ['interaction.requested', 'interaction.escalated'] },
      );
      return iterator;
    },
  })
  interactionRequested(@Root() interaction: InteractionRecord): Interaction {
    return toInteraction(interaction);
  }
}
