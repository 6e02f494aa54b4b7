import {
  channelConformanceSuite,
  sampleNotification,
  startSilentServer,
  startWebhookReceiver,
  testChannelContext,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { createSlackChannel } from './slack-channel.js';

const TOKEN = 'xoxb-test-token-123';
const ctx = () => testChannelContext();
// Stands in for https://slack.com/api at the network boundary: answers like chat.postMessage.
const slackApi = () => ({ status: 200, body: { ok: true, channel: 'C123', ts: '1700000000.000100' } });

channelConformanceSuite({
  name: '@llmteam/notify-slack (chat.postMessage)',
  test,
  expect,
  async create(endpoint) {
    if (endpoint === 'silent') {
      const silent = await startSilentServer();
      return {
        channel: createSlackChannel({ botToken: TOKEN, channel: 'C123', apiBaseUrl: silent.url }),
        received: async () => [],
        destroy: () => silent.close(),
      };
    }
    const receiver = await startWebhookReceiver({ reply: slackApi });
    if (endpoint === 'failing') receiver.failNext(Number.POSITIVE_INFINITY, 503);
    return {
      channel: createSlackChannel({
        botToken: TOKEN,
        channel: 'C123',
        apiBaseUrl: `${receiver.url}/api`,
        backoffMs: 10,
      }),
      received: async () => receiver.requests.filter((r) => r.status === 200).map((r) => r.rawBody),
      secrets: [TOKEN],
      destroy: () => receiver.close(),
    };
  },
});

channelConformanceSuite({
  name: '@llmteam/notify-slack (incoming webhook)',
  test,
  expect,
  async create(endpoint) {
    const receiver = await startWebhookReceiver();
    const silent = endpoint === 'silent' ? await startSilentServer() : undefined;
    if (endpoint === 'failing') receiver.failNext(Number.POSITIVE_INFINITY, 500);
    return {
      channel: createSlackChannel({
        webhookUrl: silent?.url ?? `${receiver.url}/services/T1/B1/x`,
        backoffMs: 10,
      }),
      received: async () => receiver.requests.filter((r) => r.status === 200).map((r) => r.rawBody),
      destroy: async () => {
        await silent?.close();
        await receiver.close();
      },
    };
  },
});

describe('slack channel', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  test('posts Block Kit with priority, assignees, deadline and Approve/Reject buttons to chat.postMessage', async () => {
    receiver = await startWebhookReceiver({ reply: slackApi });
    const channel = createSlackChannel({
      botToken: TOKEN,
      channel: 'C123',
      apiBaseUrl: `${receiver.url}/api/`,
    });
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: true, messageId: '1700000000.000100', to: ['C123'] });
    const [request] = receiver.requests;
    expect(request.path).toBe('/api/chat.postMessage');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const body = request.json as { channel: string; text: string; blocks: Array<Record<string, any>> };
    expect(body.channel).toBe('C123');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Approve order ORD-4711 conformance-marker', emoji: true },
    });
    const fields = body.blocks
      .find((b) => b.fields)!
      .fields.map((f: { text: string }) => f.text)
      .join('\n');
    expect(fields).toContain('*Priority*');
    expect(fields).toContain('high');
    expect(fields).toContain('alice@example.com, @finance');
    expect(fields).toContain('<!date^1767312000^');
    expect(body.blocks.some((b) => b.text?.text === 'Order total is 1,250.00 EUR.')).toBe(true);
    const buttons = body.blocks.find((b) => b.type === 'actions')!.elements;
    expect(buttons.map((b: { action_id: string }) => b.action_id)).toEqual([
      'llmteam_approve',
      'llmteam_reject',
      'llmteam_open',
    ]);
    expect(JSON.parse(buttons[0].value)).toEqual({
      tenantId: 'tenant-conformance',
      interactionId: 'int_conformance_1',
      action: 'approve',
    });
    expect(JSON.parse(buttons[1].value).action).toBe('reject');
  });

  test('escapes mrkdwn control characters from the request text', async () => {
    receiver = await startWebhookReceiver();
    const channel = createSlackChannel({ webhookUrl: receiver.url });
    const n = sampleNotification();
    await channel.send(
      { ...n, interaction: { ...n.interaction, description: 'Ping <!channel> & <https://evil|click>' } },
      ctx(),
    );
    const body = receiver.requests[0].json as { blocks: Array<Record<string, any>> };
    const description = body.blocks.find((b) => b.type === 'section' && b.text)!.text.text;
    expect(description).toBe('Ping &lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
  });

  test('leaves the buttons out for interactions that are not approvals or reviews', async () => {
    receiver = await startWebhookReceiver();
    const channel = createSlackChannel({ webhookUrl: receiver.url });
    const n = sampleNotification({ links: {} });
    await channel.send({ ...n, interaction: { ...n.interaction, type: 'input' } }, ctx());
    const body = receiver.requests[0].json as { blocks: Array<Record<string, any>> };
    expect(body.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  test('reports chat.postMessage refusals from the answer body', async () => {
    receiver = await startWebhookReceiver({
      reply: () => ({ body: { ok: false, error: 'channel_not_found' } }),
    });
    const channel = createSlackChannel({ botToken: TOKEN, channel: 'C404', apiBaseUrl: receiver.url });
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: false, error: 'slack: chat.postMessage: channel_not_found' });
  });

  test("retries Slack's rate limit after Retry-After and stops at maxAttempts", async () => {
    receiver = await startWebhookReceiver({ reply: slackApi });
    receiver.failNext(1, 429, { 'retry-after': '1' });
    const channel = createSlackChannel({
      botToken: TOKEN,
      channel: 'C1',
      apiBaseUrl: receiver.url,
      backoffMs: 1,
    });
    const started = Date.now();
    expect(await channel.send(sampleNotification(), ctx())).toMatchObject({ ok: true, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);

    receiver.failNext(Number.POSITIVE_INFINITY, 500);
    const before = receiver.requests.length;
    const failed = await createSlackChannel({ webhookUrl: receiver.url, maxAttempts: 3, backoffMs: 5 }).send(
      sampleNotification(),
      ctx(),
    );
    expect(failed).toMatchObject({ ok: false, attempts: 3 });
    expect(receiver.requests.length - before).toBe(3);
  });

  test('refuses options that name no destination or two', () => {
    expect(() => createSlackChannel({})).toThrow(expect.objectContaining({ code: 'LLMT_E_SLACK_OPTIONS' }));
    expect(() => createSlackChannel({ botToken: TOKEN })).toThrow(/channel/);
    expect(() => createSlackChannel({ botToken: TOKEN, channel: 'C', webhookUrl: 'https://x' })).toThrow(
      /not both/,
    );
  });

  test('reads the bot token and the webhook URL from named secrets', async () => {
    receiver = await startWebhookReceiver({ reply: slackApi });
    const secrets = { slack_bot: TOKEN, slack_hook: `${receiver.url}/services/T1/B1/x` };
    const viaApi = createSlackChannel({
      botTokenSecret: 'slack_bot',
      channel: 'C123',
      apiBaseUrl: receiver.url,
    });
    expect(await viaApi.send(sampleNotification(), testChannelContext({ secrets }))).toMatchObject({
      ok: true,
    });
    const viaHook = createSlackChannel({ webhookUrlSecret: 'slack_hook' });
    expect(await viaHook.send(sampleNotification(), testChannelContext({ secrets }))).toMatchObject({
      ok: true,
    });
    const [api, hook] = await receiver.waitForRequests(2);
    expect(api.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(hook.path).toBe('/services/T1/B1/x');
  });

  test('scrubs its token from a 401 that echoes it across the cut of the error body', async () => {
    receiver = await startWebhookReceiver({
      reply: (r) => ({ status: 401, body: `invalid_auth ${'.'.repeat(175)} ${r.headers.authorization}` }),
    });
    const channel = createSlackChannel({
      botTokenSecret: 'slack_bot',
      channel: 'C1',
      apiBaseUrl: receiver.url,
    });
    const result = await channel.send(
      sampleNotification(),
      testChannelContext({ secrets: { slack_bot: TOKEN } }),
    );
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/invalid_auth \.+ Bearer \[sec/);
    expect(result.error).not.toContain('xoxb');
  });

  test('refuses secret options that name nothing, and names the secret option that needs a channel', () => {
    expect(() => createSlackChannel({ botTokenSecret: 'slack_bot' })).toThrow(
      /`channel` is required with `botTokenSecret`/,
    );
    expect(() => createSlackChannel({ webhookUrlSecret: '' })).toThrow(/webhookUrlSecret/);
    expect(() => createSlackChannel({ botTokenSecret: 'a', webhookUrl: 'https://x', channel: 'C' })).toThrow(
      /not both `webhookUrl` and `botTokenSecret`/,
    );
  });
});
