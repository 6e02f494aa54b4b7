import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLlmteamClient } from '@llmteam/client';
import {
  type LlmTestRequest,
  type LlmTestServer,
  startOpenAiTestServer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SOURCES = fileURLToPath(new URL('../scripts/workspace-sources.mjs', import.meta.url));
const TSX = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'),
).href;
const ADMIN_KEY = 'llmt_tool-approval-restart-admin-key-0123';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `main.ts` (what `pnpm start` runs) as a child process in `dir`. */
async function startMain(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', SOURCES, '--import', TSX, MAIN], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: String(port),
      LLMTEAM_BOOTSTRAP_API_KEY: ADMIN_KEY,
      LLMTEAM_SEGMENTS_DIR: join(dir, 'segments'),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      LLMTEAM_LEASE_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`main.ts did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('llmteam gateway: http://')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}:\n${output}`)));
  });
  return child;
}

const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;

describe('a tool approval answered after SIGKILL of the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-tool-approval-'));
  let child: ChildProcess | undefined;
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
    child?.kill('SIGKILL');
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
    child = await startMain(dir, port);

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

    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    child = await startMain(dir, port);

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
