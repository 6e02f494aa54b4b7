import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printGatewaySchema } from './print-gateway-schema.js';

const FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

describe('published schema.graphql', () => {
  it('matches the schema the resolvers build (run with LLMTEAM_UPDATE_SCHEMA=1 to regenerate)', async () => {
    const printed = await printGatewaySchema();
    if (process.env.LLMTEAM_UPDATE_SCHEMA === '1') writeFileSync(FILE, printed);
    expect(readFileSync(FILE, 'utf8')).toBe(printed);
  });

  it('keeps the fixed names of the contract', async () => {
    const sdl = await printGatewaySchema();
    for (const name of [
      'health: Health!',
      'stepTypes(category: StepCategory): [StepType!]!',
      'segments: [Segment!]!',
      'segment(id: ID!',
      'runs(',
      'first: Int',
      'after: String',
      'RunConnection!',
      'run(id: ID!): Run',
      'verifyAuditChain: AuditVerification!',
      'upsertSegment(definition: JSON!): Segment!',
      'startRun(idempotencyKey: String, input: JSON, ',
      'cancelRun(id: ID!',
      'pauseRun(id: ID!): Run!',
      'resumeRun(id: ID!): Run!',
      'approve(comment: String, requestId: ID!): Interaction!',
      'reject(reason: String, requestId: ID!): Interaction!',
      'requestChanges(feedback: String!, requestId: ID!): Interaction!',
      'respond(comment: String, requestId: ID!, response: JSON!): Interaction!',
      'createSnapshot(label: String, runId: ID!, type: SnapshotType): Snapshot!',
      'forkRun(snapshotId: ID!): Run!',
      'createTenant(id: ID!, name: String!, tier: TenantTier): Tenant!',
      'revokeApiKey(id: ID!',
      'runEvents(afterSeq: Int, runId: ID!): WorktrailEvent!',
      'events(types: [String!]): WorktrailEvent!',
      'interactionRequested: Interaction!',
      'WAITING_HUMAN',
      'APPROVER',
    ]) {
      expect(sdl).toContain(name);
    }
    expect(sdl).toMatch(/startRun\([^)]*segmentId: ID!/);
  });
});
