import {
  channelConformanceSuite,
  sampleNotification,
  startSilentServer,
  startWebhookReceiver,
  testChannelContext,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { verifyWebhook } from './standard-webhooks.js';
import { createWebhookChannel } from './webhook-channel.js';

const SECRET = 'whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=';
const ctx = () => testChannelContext();

channelConformanceSuite({
  name: '@llmteam/notify-webhook',
  test,
  expect,
  async create(endpoint) {
    if (endpoint === 'silent') {
      const silent = await startSilentServer();
      return {
        channel: createWebhookChannel({ url: silent.url, secret: SECRET, backoffMs: 10 }),
        received: async () => [],
        destroy: () => silent.close(),
      };
    }
    const receiver = await startWebhookReceiver({ secret: SECRET });
    if (endpoint === 'failing') receiver.failNext(Number.POSITIVE_INFINITY, 500);
    return {
      channel: createWebhookChannel({ url: `${receiver.url}/hook`, secret: SECRET, backoffMs: 10 }),
      received: async () => receiver.requests.filter((r) => r.status === 200).map((r) => r.rawBody),
      secrets: [SECRET, SECRET.slice('whsec_'.length)],
      destroy: () => receiver.close(),
    };
  },
});

describe('webhook channel', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  test('posts a Standard Webhooks signed JSON body that verifyWebhook accepts', async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    const channel = createWebhookChannel({
      url: `${receiver.url}/hooks/llmteam`,
      secret: SECRET,
      headers: { 'x-api-key': 'k1' },
    });
    const notification = sampleNotification({ reason: 'escalated' });
    const result = await channel.send(notification, ctx());
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    const [request] = await receiver.waitForRequests(1);
    expect(request.verified).toBe(true);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/llmteam');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-api-key']).toBe('k1');
    expect(request.headers['webhook-id']).toBe(result.messageId);
    const body = verifyWebhook({ headers: request.headers, body: request.rawBody, secret: SECRET });
    expect(body).toMatchObject({
      type: 'interaction.escalated',
      tenant_id: 'tenant-conformance',
      interaction: { id: 'int_conformance_1', title: notification.interaction.title, priority: 'high' },
      recipients: notification.recipients,
      links: { view_url: notification.links.viewUrl, respond_url: notification.links.respondUrl },
    });
    expect(body).not.toHaveProperty('interaction.settings');
  });

  test('retries 5xx with exponential back-off, keeping the message id, and succeeds', async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    receiver.failNext(2, 503);
    const channel = createWebhookChannel({
      url: receiver.url,
      secret: SECRET,
      maxAttempts: 3,
      backoffMs: 100,
    });
    const started = Date.now();
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300 - 5);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
  });

  test('stops at maxAttempts and reports the last failure', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(Number.POSITIVE_INFINITY, 502);
    const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, maxAttempts: 4, backoffMs: 5 });
    const result = await channel.send(sampleNotification(), ctx());
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(4);
    expect(result.error).toMatch(/HTTP 502.*gave up after 4 attempts/);
    expect(receiver.requests).toHaveLength(4);
  });

  test('waits longer before each retry', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(3, 500);
    const channel = createWebhookChannel({
      url: receiver.url,
      secret: SECRET,
      maxAttempts: 4,
      backoffMs: 60,
    });
    await channel.send(sampleNotification(), ctx());
    const arrivals = receiver.requests.map((r) => r.receivedAt);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(55);
    expect(gaps[1]).toBeGreaterThanOrEqual(115);
    expect(gaps[2]).toBeGreaterThanOrEqual(235);
  });

  test('retries 429 after the Retry-After the endpoint asks for', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(1, 429, { 'retry-after': '1' });
    const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, backoffMs: 1 });
    const started = Date.now();
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  test('does not retry a 4xx refusal', async () => {
    receiver = await startWebhookReceiver({ secret: 'whsec_d3Jvbmc=' });
    const channel = createWebhookChannel({ url: receiver.url, secret: SECRET, backoffMs: 1 });
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/HTTP 401/);
    expect(receiver.requests).toHaveLength(1);
  });

  test('gives up on an endpoint that never answers after the request timeout', async () => {
    const silent = await startSilentServer();
    try {
      const channel = createWebhookChannel({
        url: silent.url,
        secret: SECRET,
        timeoutMs: 150,
        maxAttempts: 2,
        backoffMs: 10,
      });
      const result = await channel.send(sampleNotification(), ctx());
      expect(result).toMatchObject({ ok: false, attempts: 2 });
      expect(result.error).toMatch(/timed out after 150 ms/);
    } finally {
      await silent.close();
    }
  });

  test('retries a refused connection and reports the network error', async () => {
    const closed = await startWebhookReceiver();
    await closed.close();
    const channel = createWebhookChannel({ url: closed.url, secret: SECRET, maxAttempts: 2, backoffMs: 5 });
    const result = await channel.send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  test('refuses options without a url or a secret', () => {
    expect(() => createWebhookChannel({ url: 'ftp://x', secret: SECRET })).toThrow(/url/);
    expect(() => createWebhookChannel({ url: 'https://x', secret: undefined as unknown as string })).toThrow(
      /secret/,
    );
    expect(() =>
      createWebhookChannel({ url: 'https://x', secret: SECRET, priorities: ['urgent' as 'high'] }),
    ).toThrow(/priorities/);
  });

  test('signs with a named secret and sends named secrets as headers', async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    const channel = createWebhookChannel({
      url: receiver.url,
      secretName: 'hooks_signing',
      headerSecrets: { Authorization: 'hooks_bearer' },
    });
    const result = await channel.send(
      sampleNotification(),
      testChannelContext({ secrets: { hooks_signing: SECRET, hooks_bearer: 'Bearer tok-42' } }),
    );
    expect(result).toMatchObject({ ok: true });
    const [request] = await receiver.waitForRequests(1);
    expect(request.verified).toBe(true);
    expect(request.headers.authorization).toBe('Bearer tok-42');
  });

  test('fails the delivery naming the option when a named secret is missing', async () => {
    receiver = await startWebhookReceiver();
    const channel = createWebhookChannel({
      url: receiver.url,
      secret: SECRET,
      headerSecrets: { 'x-key': 'gone' },
    });
    await expect(channel.send(sampleNotification(), ctx())).rejects.toMatchObject({
      code: 'LLMT_E_SECRET_NOT_FOUND',
      message: expect.stringContaining('headerSecrets.x-key'),
    });
    expect(receiver.requests).toHaveLength(0);
  });

  test('scrubs a secret the endpoint echoes across the cut of its error body', async () => {
    const token = 'Bearer canary-3f9c1d7e5b2a8c4f6e0d';
    // The echoed token starts 190 characters in: cut at 200 first, its first half would stay.
    receiver = await startWebhookReceiver({
      reply: (r) => ({ status: 500, body: `${'x'.repeat(190)}${r.headers.authorization}` }),
    });
    const channel = createWebhookChannel({
      url: receiver.url,
      secret: SECRET,
      headerSecrets: { authorization: 'hooks_bearer' },
      maxAttempts: 1,
    });
    const result = await channel.send(
      sampleNotification(),
      testChannelContext({ secrets: { hooks_bearer: token } }),
    );
    expect(result.ok).toBe(false);
    expect(result.error).toContain('[secret]');
    expect(result.error).not.toContain('canary-3f9c');
  });

  test('refuses secret options that name nothing, or a secret and a secret name together', () => {
    expect(() => createWebhookChannel({ url: 'https://x', secret: SECRET, secretName: 's' })).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_WEBHOOK_OPTIONS',
        message: expect.stringContaining('secretName'),
      }),
    );
    expect(() => createWebhookChannel({ url: 'https://x', secretName: '' })).toThrow(/secretName/);
    expect(() =>
      createWebhookChannel({ url: 'https://x', secret: SECRET, headerSecrets: { authorization: '' } }),
    ).toThrow(/headerSecrets\.authorization/);
  });
});
