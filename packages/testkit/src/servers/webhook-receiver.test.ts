import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'whsec_dGVzdGtpdC1zZWNyZXQ=';

function signed(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SECRET) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`msg_1.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

describe('startWebhookReceiver', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  test('records method, path, headers, raw body and parsed JSON', async () => {
    receiver = await startWebhookReceiver();
    const response = await fetch(`${receiver.url}/hooks?x=1`, {
      method: 'PUT',
      body: '{"a":1}',
      headers: { 'x-test': 'y' },
    });
    expect(response.status).toBe(200);
    const [request] = await receiver.waitForRequests(1);
    expect(request).toMatchObject({
      method: 'PUT',
      path: '/hooks?x=1',
      rawBody: '{"a":1}',
      json: { a: 1 },
      status: 200,
    });
    expect(request.headers['x-test']).toBe('y');
    expect(request.verified).toBeUndefined();
  });

  test('verifies Standard Webhooks signatures and answers 401 to a bad one', async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    const body = '{"type":"interaction.requested"}';
    expect((await fetch(receiver.url, { method: 'POST', body, headers: signed(body) })).status).toBe(200);
    expect(
      (await fetch(receiver.url, { method: 'POST', body: `${body} `, headers: signed(body) })).status,
    ).toBe(401);
    const stale = signed(body, Math.floor(Date.now() / 1000) - 600);
    expect((await fetch(receiver.url, { method: 'POST', body, headers: stale })).status).toBe(401);
    expect(receiver.requests.map((r) => r.verified)).toEqual([true, false, false]);
  });

  test('fails the next N requests with the given status, then replies normally', async () => {
    receiver = await startWebhookReceiver({ reply: () => ({ status: 201, body: { ok: true } }) });
    receiver.failNext(2, 503, { 'retry-after': '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(receiver.url, { method: 'POST', body: 'x' });
      statuses.push(response.status);
      if (i === 0) expect(response.headers.get('retry-after')).toBe('3');
      if (i === 2) expect(await response.json()).toEqual({ ok: true });
    }
    expect(statuses).toEqual([503, 503, 201]);
  });

  test('waitForRequests rejects when too few requests arrive in time', async () => {
    receiver = await startWebhookReceiver();
    await expect(receiver.waitForRequests(1, 50)).rejects.toThrow(/Expected 1 webhook request/);
  });
});
