import { createLlmteamClient, type LlmteamClient } from '@llmteam/client';
import { createEngine, type Engine, type EngineOptions, MemoryStore } from '@llmteam/core';
import { createGateway, createLogger, type Gateway } from '@llmteam/gateway';
import WebSocket from 'ws';

/** An approval by group finance between two transforms. */
export const APPROVAL_FLOW = {
  segment_id: 'approval_flow',
  name: 'Payment approval',
  version: '1.0.0',
  steps: [
    { step_id: 'prepare', step_type: 'transform', name: 'Prepare', config: { expression: '$' } },
    {
      step_id: 'approve',
      step_type: 'human_task',
      name: 'Approve payment',
      config: {
        task_type: 'approval',
        title: 'Approve the payment',
        assignee_ref: 'group:finance',
        priority: 'high',
        timeout: 'P1D',
      },
    },
    { step_id: 'pay', step_type: 'transform', name: 'Pay', config: { expression: '{"paid": true}' } },
  ],
  edges: [
    { source_step: 'prepare', target_step: 'approve' },
    { source_step: 'approve', source_port: 'approved', target_step: 'pay' },
  ],
};

/** An input request whose answer must match a JSON Schema. */
export const INPUT_FLOW = {
  segment_id: 'input_flow',
  name: 'Credit limit',
  version: '1.0.0',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      name: 'Set the limit',
      config: {
        task_type: 'input',
        title: 'Set the credit limit',
        assignee_ref: 'group:finance',
        input_schema: {
          type: 'object',
          required: ['limit', 'currency'],
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100000, description: 'In whole units' },
            currency: { type: 'string', enum: ['EUR', 'USD'] },
            note: { type: 'string', maxLength: 20 },
          },
        },
      },
    },
  ],
  edges: [],
};

/** A draft, an editor's review with a revision loop, then publish (the example segment's shape). */
export const REVIEW_FLOW = {
  segment_id: 'review_flow',
  name: 'Release note review',
  version: '1.0.0',
  steps: [
    {
      step_id: 'draft',
      step_type: 'transform',
      name: 'Draft',
      inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
      config: {
        expression:
          '{"title": input.title, "body": input.summary & ($exists(feedback) ? " (revised: " & feedback & ")" : ""), "revision": $exists(feedback) ? 1 : 0}',
      },
    },
    {
      step_id: 'review',
      step_type: 'human_task',
      name: 'Editorial review',
      config: {
        task_type: 'review',
        title: 'Review the release note',
        assignee_ref: 'group:finance',
        max_revisions: 3,
      },
    },
    {
      step_id: 'publish',
      step_type: 'transform',
      name: 'Publish',
      config: { expression: '$merge([$, {"published": true}])' },
    },
  ],
  edges: [
    { source_step: 'draft', target_step: 'review' },
    {
      source_step: 'review',
      source_port: 'changes_requested',
      target_step: 'draft',
      target_port: 'feedback',
    },
    { source_step: 'review', source_port: 'approved', target_step: 'publish' },
  ],
};

/** A chain of `n` transforms. */
export function chain(n: number): Record<string, unknown> {
  const steps = Array.from({ length: n }, (_v, i) => ({
    step_id: `s${i}`,
    step_type: 'transform',
    config: { expression: '$' },
  }));
  const edges = steps.slice(1).map((s, i) => ({ source_step: `s${i}`, target_step: s.step_id }));
  return { segment_id: `chain_${n}`, name: `Chain of ${n}`, version: '1.0.0', steps, edges };
}

/** A gateway on 127.0.0.1 (free port) over a MemoryStore, with an admin client. */
export interface ConsoleGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  admin: LlmteamClient;
  /** Creates a key of tenant `default`; returns its secret. */
  key(
    roles: Array<'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER'>,
    subject: string,
    groups?: string[],
  ): Promise<string>;
  close(): Promise<void>;
}

/** Options of {@link startConsoleGateway}. */
export interface ConsoleGatewayOptions {
  /** Engine plugins, e.g. an LLM provider pointed at a testkit model server. */
  plugins?: EngineOptions['plugins'];
  /** Runs before the gateway starts, e.g. to register function actions. */
  setup?: (engine: Engine) => void;
}

export async function startConsoleGateway(options: ConsoleGatewayOptions = {}): Promise<ConsoleGateway> {
  const logger = createLogger({ level: 'silent' });
  const store = new MemoryStore();
  const engine = createEngine({
    store,
    logger,
    pollIntervalMs: 50,
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  options.setup?.(engine);
  const bootstrap = `llmt_console_e2e_${Math.random().toString(36).slice(2)}`;
  const gateway = await createGateway({
    engine,
    host: '127.0.0.1',
    port: 0,
    logger,
    bootstrapApiKey: bootstrap,
  });
  const admin = createLlmteamClient({ url: gateway.url, apiKey: bootstrap, webSocketImpl: WebSocket });
  return {
    gateway,
    origin: gateway.url.replace(/\/graphql$/, ''),
    admin,
    async key(roles, subject, groups = []) {
      return (await admin.createApiKey({ tenantId: 'default', roles, subject, groups })).secret;
    },
    async close() {
      await admin.close();
      await gateway.stop('test finished');
      await store.close();
    },
  };
}

/** Polls until the run waits on a person; returns the request's id. */
export async function waitingRequest(client: LlmteamClient, runId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const run = await client.run(runId);
    const open = run?.waitingOn.interactions[0];
    if (open) return open.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} never waited for a person`);
}
