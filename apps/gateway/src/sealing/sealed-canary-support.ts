// Helpers of the sealed-canary tests (not exported from the package).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createEngine,
  defineStepType,
  type Logger,
  type NotificationChannel,
  type Store,
  staticKeyProvider,
} from '@llmteam/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../logger.js';
import { startTestGateway, type TestGateway } from '../test-support.js';

/** Everything that left a gateway during a test, as text. */
export interface Leaks {
  logLines: string[];
  notifications: string[];
  responses: string[];
  /** What each step's handler saw as its input. */
  seen: Record<string, unknown>;
}

/** The order segment of the canary tests: `charge` owns the card number, `ship` does not. */
export const SEALED_ORDER = {
  segment_id: 'sealed_order',
  version: '1.0.0',
  sealed_fields: ['card.number'],
  steps: [
    { step_id: 'charge', step_type: 'probe', sealed_fields: ['card.number'] },
    {
      step_id: 'review',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ship the order?', assignee_ref: 'group:shipping' },
    },
    { step_id: 'ship', step_type: 'probe', inputs: [{ port_id: 'input' }] },
  ],
  edges: [
    { source_step: 'charge', target_step: 'review' },
    { source_step: 'review', source_port: 'approved', target_step: 'ship' },
  ],
};

/** A step type that records its input, logs it, and passes it on with a receipt. */
function probe(seen: Record<string, unknown>) {
  return defineStepType({
    type: 'probe',
    displayName: 'Probe',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler(ctx) {
      seen[ctx.stepId] = ctx.input;
      const input = ctx.input as { card?: { number?: unknown } };
      const number = String(input?.card?.number ?? '');
      ctx.logger.info({ input: ctx.input }, `step ${ctx.stepId} handles card ${number}`);
      return { output: { ...(ctx.input as object), receipt: `paid with ${number}` } };
    },
  });
}

/** A gateway over `store` whose logs, notifications and responses are kept. */
export async function startCanaryGateway(store: Store): Promise<{ t: TestGateway; leaks: Leaks }> {
  const leaks: Leaks = { logLines: [], notifications: [], responses: [], seen: {} };
  const destination = new Writable({
    write(chunk, _enc, done) {
      leaks.logLines.push(String(chunk));
      done();
    },
  });
  const logger: Logger = createLogger({ level: 'debug', destination });
  const channel: NotificationChannel = {
    name: 'capture',
    async send(notification) {
      leaks.notifications.push(JSON.stringify(notification.interaction));
      return { ok: true };
    },
  };
  const engine = createEngine({
    store,
    logger,
    pollIntervalMs: 50,
    stepTypes: [probe(leaks.seen)],
    channels: [channel],
    sealing: { keys: staticKeyProvider({ keys: { k1: randomBytes(32) } }) },
  });
  const t = await startTestGateway({ store, engine, logger });
  const gql = t.gql.bind(t);
  t.gql = async (secret, query, variables) => {
    const res = await gql(secret, query, variables);
    leaks.responses.push(JSON.stringify(res.body));
    return res;
  };
  return { t, leaks };
}

/** Every event of a run over graphql-ws, from seq 1 until `run.completed`, as raw messages. */
export function followRun(t: TestGateway, secret: string, runId: string, leaks: Leaks): Promise<void> {
  const client = createClient({
    url: t.gateway.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${secret}` },
    retryAttempts: 0,
  });
  return new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: `subscription { runEvents(runId: "${runId}", afterSeq: 0) { seq type stepId data } }` },
      {
        next: (message) => {
          leaks.responses.push(JSON.stringify(message));
          if ((message.data as { runEvents?: { type: string } })?.runEvents?.type === 'run.completed') {
            void client.dispose();
            resolve();
          }
        },
        error: reject,
        complete: () => resolve(),
      },
    );
  });
}
