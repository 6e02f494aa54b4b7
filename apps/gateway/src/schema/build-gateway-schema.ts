import 'reflect-metadata';
import { createPubSub } from '@graphql-yoga/subscription';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import './enums.js';
import { AuditResolver } from './audit-resolver.js';
import { ComplianceResolver } from './compliance-resolver.js';
import { EventQueryResolver } from './event-query-resolver.js';
import { InboxResolver } from './inbox-resolver.js';
import { InteractionFieldsResolver } from './interaction-fields-resolver.js';
import { MutationResolver } from './mutation-resolver.js';
import { ProcessResolver } from './process-resolver.js';
import { QueryResolver } from './query-resolver.js';
import { RunFieldsResolver } from './run-fields-resolver.js';
import { SnapshotResolver } from './snapshot-resolver.js';
import { SubscriptionResolver } from './subscription-resolver.js';
import { TenantLimitFieldsResolver, TenantResolver } from './tenant-resolver.js';
import { UnsealResolver } from './unseal-resolver.js';

/** Builds the gateway's GraphQL schema (ARCHITECTURE section 8). */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      InteractionFieldsResolver,
      QueryResolver,
      SnapshotResolver,
      MutationResolver,
      RunFieldsResolver,
      SubscriptionResolver,
      EventQueryResolver,
      ProcessResolver,
      AuditResolver,
      ComplianceResolver,
      UnsealResolver,
      InboxResolver,
      TenantResolver,
      TenantLimitFieldsResolver,
    ],
    // Arguments are checked by the engine (segment validation) and the resolvers.
    validate: false,
    // Every subscription brings its own `subscribe` (fed by the engine); type-graphql still wants a PubSub.
    pubSub: createPubSub(),
  });
}
