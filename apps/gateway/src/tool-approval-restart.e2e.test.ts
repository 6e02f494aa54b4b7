import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmteamClient } from '@llmteam/client';
import {
  freePort,
  type LlmTestRequest,
  type LlmTestServer,
  type NodeProcess,
  startOpenAiTestServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startMain } from './test-support.js';

const ADMIN_KEY = 'llmt_tool-approval-restart-admin-key-0123';

/** `main.ts` in `dir` on `port` with the test's admin key and segments; a short lease, so a new process takes over the killed one's runs. */
const startGateway = (dir: string, port: number) =>
  startMain(dir, port, {
    LLMTEAM_BOOTSTRAP_API_KEY: ADMIN_KEY,
    LLMTEAM_LEASE_MS: '2000',
    LLMTEAM_SEGMENTS_DIR: join(dir, 'segments'),
  });

const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;

describe('a tool approval answered after SIGKILL of the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-tool-approval-'));
  let child: NodeProcess | undefined;
  let llm: LlmTestServer;
  let erp: WebhookReceiver;
  beforeAll(async () => {
    llm = await startOpenAiTestServer({
      fallback: (request) =>
        toolResults(request) === 0
          ? {
              text: 'Over 1000, so finance has to approve it.',
              toolCalls: [{ id: 'c1', name: 'create_order', arguments: { sku: 'A1', amount: 1500 } }],
            }
          : { text: 'Order created.' },
    });
    erp = await startWebhookReceiver({ reply: () => ({ status: 200, body: { order_id: 'o-77' } }) });
  });
  afterAll(async () => {
    void child?.stop('SIGKILL');
    await Promise.all([llm.close(), erp.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the request, runs the tool once with the approved edits, and calls no model twice', async () => {
    mkdirSync(join(dir, 'segments'));
    writeFileSync(
      join(dir, 'segments', 'executor.json'),
      JSON.stringify({
        segment_id: 'executor',
        name: 'Executor',
        version: '1.0.0',
        steps: [
          {
            step_id: 'execute',
            step_type: 'llm_agent',
            config: {
              provider: 'local',
              model: 'gpt-test',
              prompt: '"Create the order for " & sku',
              tools: [
                {
                  action: 'create_order',
                  requires_approval: 'amount > 1000',
                  assignee_ref: 'group:finance',
                  parameters: {
                    type: 'object',
                    properties: { sku: { type: 'string' }, amount: { type: 'number' } },
                  },
                },
              ],
            },
          },
        ],
        edges: [],
      }),
    );
    writeFileSync(
      join(dir, 'llmteam.config.json'),
      JSON.stringify({
        store: ['@llmteam/store-sqlite', { path: './data/llmteam.sqlite' }],
        plugins: [['@llmteam/llm-openai', { name: 'local', baseUrl: llm.url }]],
        actions: { create_order: { type: 'webhook', url: `${erp.url}/orders`, method: 'POST' } },
        outbound: { allow: ['127.0.0.1'] },
      }),
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    child = await startGateway(dir, port);

    const admin = createLlmteamClient({ url, apiKey: ADMIN_KEY, webSocketImpl: WebSocket });
    const key = await admin.createApiKey({
      tenantId: 'default',
      roles: ['OPERATOR', 'APPROVER'],
      subject: 'fiona',
      groups: ['finance'],
    });
    const client = createLlmteamClient({ url, apiKey: key.secret, webSocketImpl: WebSocket });
    const run = await client.startRun('executor', { sku: 'A1' });
    let waiting = await client.run(run.id);
    for (let i = 0; i < 100 && waiting?.status !== 'WAITING_HUMAN'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      waiting = await client.run(run.id);
    }
    expect(waiting?.status).toBe('WAITING_HUMAN');
    expect(llm.calls).toBe(1);

    await child.stop('SIGKILL');
    child = await startGateway(dir, port);

    const [request] = await client.interactions({ status: 'PENDING' });
    expect(request?.context).toMatchObject({
      kind: 'tool_approval',
      tool: 'create_order',
      arguments: { sku: 'A1', amount: 1500 },
      reason: 'Over 1000, so finance has to approve it.',
    });
    await client.approveWithEdits(request!.id, { sku: 'A1', amount: 1200 }, 'ok at 1200');
    let done = await client.run(run.id);
    for (let i = 0; i < 100 && done?.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = await client.run(run.id);
    }
    expect(done?.status).toBe('COMPLETED');
    expect(done?.outputs).toEqual({ execute: 'Order created.' });
    expect(llm.requests.map(toolResults)).toEqual([0, 1]);
    expect(erp.requests.map((r) => [r.path, r.headers['idempotency-key'], r.json])).toEqual([
      ['/orders', `${run.id}:execute:1:c1`, { sku: 'A1', amount: 1200 }],
    ]);
    await Promise.all([client.close(), admin.close()]);
  }, 90_000);
});
