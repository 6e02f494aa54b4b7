import { join } from 'node:path';
import { createLlmteamClient } from '@llmteam/client';
import openAiPlugin from '@llmteam/llm-openai';
import { type LlmTestRequest, type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from './browser.js';
import { type ConsoleGateway, startConsoleGateway, waitingRequest } from './fixtures.js';

const available = chromiumAvailable();

/** An agent that creates orders; a call over 1000 needs finance's approval. */
const ORDER_AGENT = {
  segment_id: 'order_agent',
  name: 'Order agent',
  version: '1.0.0',
  steps: [
    {
      step_id: 'execute',
      step_type: 'llm_agent',
      name: 'Create the order',
      config: {
        provider: 'local',
        model: 'gpt-test',
        stream: false,
        prompt: '"Create the order for " & sku',
        tools: [
          {
            action: 'create_order',
            requires_approval: 'amount > 1000',
            assignee_ref: 'group:finance',
            parameters: {
              type: 'object',
              required: ['sku', 'amount'],
              properties: { sku: { type: 'string' }, amount: { type: 'number', maximum: 5000 } },
            },
          },
        ],
      },
    },
  ],
  edges: [],
};

/** A conversation with the account manager before the order goes on. */
const CHAT_FLOW = {
  segment_id: 'chat_flow',
  name: 'Order questions',
  version: '1.0.0',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'chat', title: 'Questions about the order', assignee_ref: 'group:finance' },
    },
  ],
  edges: [],
};

const toolMessages = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string; content?: string }>).filter((m) => m.role === 'tool');

async function signIn(context: BrowserContext, origin: string, key: string, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.whoami .subject').waitFor();
  return page;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!available)('agent tool approvals, chats and run usage in Chromium', () => {
  let t: ConsoleGateway;
  let llm: LlmTestServer;
  let closeBrowser: () => Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let key: string;
  const orders: unknown[] = [];

  beforeAll(async () => {
    llm = await startOpenAiTestServer({
      fallback: (request) => {
        const results = toolMessages(request);
        if (!results.length)
          return {
            text: 'Over 1000, so finance has to approve it.',
            toolCalls: [{ id: 'c1', name: 'create_order', arguments: { sku: 'A1', amount: 1500 } }],
            usage: { inputTokens: 1200, outputTokens: 40 },
          };
        const refused = String(results[0]?.content ?? '').includes('refused');
        return {
          text: refused ? 'The order was not created.' : 'Order created.',
          usage: { inputTokens: 1300, outputTokens: 10 },
        };
      },
    });
    t = await startConsoleGateway({
      plugins: [{ plugin: openAiPlugin, options: { name: 'local', baseUrl: llm.url } }],
      setup: (engine) =>
        engine.actions.defineFunction('create_order', (args) => {
          orders.push(args);
          return { order_id: `o-${orders.length}` };
        }),
    });
    for (const segment of [ORDER_AGENT, CHAT_FLOW]) await t.admin.upsertSegment(segment);
    key = await t.key(['APPROVER', 'OPERATOR'], 'fiona@bank.example', ['finance']);
    ({ context, close: closeBrowser } = await launchChromium());
    context.setDefaultTimeout(15_000);
    context.on('weberror', (error) => console.error(`browser error: ${error.error().message}`));
    page = await signIn(context, t.origin, key);
    await page.locator('.live.on').waitFor();
  }, 60_000);
  afterAll(async () => {
    await closeBrowser?.();
    await t?.close();
    await llm?.close();
  });

  it("shows a tool approval's tool, arguments and the model's reason, and approves it with edits", async () => {
    const runId = (await t.admin.startRun('order_agent', { sku: 'A1' })).id;
    await page.getByRole('button', { name: /Approve create_order/ }).click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    const call = detail.getByRole('region', { name: 'Tool call' });
    await call.locator('.tool-name', { hasText: 'create_order' }).waitFor();
    await call.getByText('Over 1000, so finance has to approve it.').waitFor();
    expect(JSON.parse((await call.locator('.tool-arguments').textContent()) ?? '')).toEqual({
      sku: 'A1',
      amount: 1500,
    });
    // Edits are checked against the tool's parameters before anything is sent.
    expect(await detail.getByRole('button', { name: 'Approve with edits' }).isDisabled()).toBe(true);
    await detail.getByLabel(/^amount/).fill('9000');
    await detail.getByRole('button', { name: 'Approve with edits' }).click();
    await detail.getByText('must be <= 5000').waitFor();
    expect(await detail.getByRole('button', { name: 'Approve call' }).isDisabled()).toBe(true);
    await detail.getByLabel(/^amount/).fill('1200');
    await shot(page, '30-tool-approval-edits');
    await detail.getByLabel(/^Reason or comment/).fill('ok at 1200');
    await detail.getByRole('button', { name: 'Approve with edits' }).click();
    await detail.getByText(/Already answered: approve by fiona@bank\.example \(“ok at 1200”\)/).waitFor();
    const done = await until(async () => {
      const run = await t.admin.run(runId);
      return run?.status === 'COMPLETED' ? run : undefined;
    }, 'the agent run to complete');
    expect(done.outputs).toEqual({ execute: 'Order created.' });
    expect(orders).toEqual([{ sku: 'A1', amount: 1200 }]);

    // The run page shows the model calls' token usage, for the run and for the step.
    await page.goto(`${t.origin}/runs/${runId}`);
    await page.locator('[data-testid="run-usage"]', { hasText: '2,500 in · 50 out · 2 calls' }).waitFor();
    await page.getByRole('button', { name: /^execute\b/ }).click();
    await page.locator('[data-testid="step-usage"]', { hasText: '2,500 in · 50 out · 2 calls' }).waitFor();
    await shot(page, '31-agent-run-usage');
  });

  it('rejects a tool call with a reason the model is told; the tool never runs', async () => {
    const runId = (await t.admin.startRun('order_agent', { sku: 'B2' })).id;
    await waitingRequest(t.admin, runId);
    await page.goto(`${t.origin}/`);
    await page
      .getByRole('button', { name: /Approve create_order/ })
      .filter({ hasNotText: 'answered' })
      .click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    await detail.getByRole('button', { name: 'Reject call' }).click();
    await detail.getByText('Say why: the model is told the reason for a refused call.').waitFor();
    await detail.getByLabel(/^Reason or comment/).fill('no budget this quarter');
    await detail.getByRole('button', { name: 'Reject call' }).click();
    await detail.getByText(/Already answered: reject by fiona@bank\.example/).waitFor();
    const done = await until(async () => {
      const run = await t.admin.run(runId);
      return run?.status === 'COMPLETED' ? run : undefined;
    }, 'the agent run to complete');
    expect(done.outputs).toEqual({ execute: 'The order was not created.' });
    expect(orders).toHaveLength(1);
    const told = llm.requests.map(toolMessages).at(-1)?.[0]?.content ?? '';
    expect(told).toContain('no budget this quarter');
  });

  it('answers a chat with messages, sees another person’s message live, and ends it', async () => {
    const runId = (await t.admin.startRun('chat_flow', {})).id;
    const requestId = await waitingRequest(t.admin, runId);
    await page.getByRole('button', { name: /Questions about the order/ }).click();
    const detail = page.getByRole('region', { name: 'Selected request' });
    await detail.getByLabel('Message').fill('Which warehouse ships it?');
    await detail.getByRole('button', { name: 'Send' }).click();
    const conversation = detail.getByRole('region', { name: 'Conversation' });
    await conversation.getByText('Which warehouse ships it?').waitFor();
    expect(await detail.getByLabel('Message').inputValue()).toBe('');
    // A colleague writes from elsewhere (the API): the message appears without a reload.
    const colleague = await t.key(['APPROVER'], 'gerd@bank.example', ['finance']);
    const other = createLlmteamClient({ url: `${t.origin}/graphql`, apiKey: colleague });
    await other.sendMessage(requestId, 'Hamburg, on Monday.');
    await conversation.getByText('Hamburg, on Monday.').waitFor();
    await conversation.getByText('gerd@bank.example').waitFor();
    await shot(page, '32-chat');
    await detail.getByLabel('Message').fill('Thanks, settled.');
    await detail.getByLabel('Message').press('Enter');
    await conversation.getByText('Thanks, settled.').waitFor();
    await detail.getByRole('button', { name: 'End conversation' }).click();
    await detail.getByText(/Already answered: close by fiona@bank\.example/).waitFor();
    const done = await until(async () => {
      const run = await t.admin.run(runId);
      return run?.status === 'COMPLETED' ? run : undefined;
    }, 'the chat run to complete');
    const messages = (done.outputs as { ask: { messages: Array<{ by: string; text: string }> } }).ask
      .messages;
    expect(messages.map((m) => [m.by, m.text])).toEqual([
      ['fiona@bank.example', 'Which warehouse ships it?'],
      ['gerd@bank.example', 'Hamburg, on Monday.'],
      ['fiona@bank.example', 'Thanks, settled.'],
    ]);
    await other.close();
  });

  it('filters the runs list by whom a run waits on, on the server', async () => {
    const waiting = (await t.admin.startRun('chat_flow', {})).id;
    await waitingRequest(t.admin, waiting);
    await page.goto(`${t.origin}/runs`);
    const table = page.locator('table');
    await table.getByRole('link', { name: waiting }).waitFor();
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(1);
    await page.getByLabel('Waiting on').fill('group:finance');
    await table.locator('tbody tr').first().getByRole('link', { name: waiting }).waitFor();
    await until(async () => ((await table.locator('tbody tr').count()) === 1 ? true : undefined), 'one row');
    await shot(page, '33-runs-waiting-on');
    await page.getByLabel('Waiting on').fill('group:legal');
    await page.getByText('No runs match.').waitFor();
  });
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
