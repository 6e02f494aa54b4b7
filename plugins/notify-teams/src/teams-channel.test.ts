import { verifyResponseToken } from '@llmteam/core';
import {
  channelConformanceSuite,
  sampleNotification,
  startSilentServer,
  startWebhookReceiver,
  testChannelContext,
  type WebhookReceiver,
} from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { createTeamsChannel } from './teams-channel.js';

const LINK_SECRET = 'teams-link-secret-never-sent';
const NOW = Date.UTC(2026, 0, 1, 12);
const ctx = () => testChannelContext();

// A local HTTP server stands in for the Teams incoming webhook at the network boundary.
channelConformanceSuite({
  name: '@llmteam/notify-teams',
  test,
  expect,
  async create(endpoint) {
    const receiver = await startWebhookReceiver({ reply: () => ({ status: 202, body: '' }) });
    const silent = endpoint === 'silent' ? await startSilentServer() : undefined;
    if (endpoint === 'failing') receiver.failNext(Number.POSITIVE_INFINITY, 500);
    return {
      channel: createTeamsChannel({
        webhookUrl: silent?.url ?? `${receiver.url}/webhookb2/abc`,
        linkSecret: LINK_SECRET,
        backoffMs: 10,
      }),
      received: async () => receiver.requests.filter((r) => r.status === 202).map((r) => r.rawBody),
      secrets: [LINK_SECRET],
      destroy: async () => {
        await silent?.close();
        await receiver.close();
      },
    };
  },
});

type Card = { version: string; body: Array<Record<string, any>>; actions?: Array<Record<string, any>> };

function cardOf(receiver: WebhookReceiver, index = 0): Card {
  const message = receiver.requests[index].json as {
    type: string;
    attachments: Array<{ contentType: string; content: Card }>;
  };
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
  return message.attachments[0].content;
}

function textOf(block: Record<string, any>): string {
  return block.inlines?.map((i: { text: string }) => i.text).join('') ?? '';
}

describe('teams channel', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  test('posts an Adaptive Card 1.4 with title, description and facts in the message envelope', async () => {
    receiver = await startWebhookReceiver();
    const result = await createTeamsChannel({ webhookUrl: receiver.url }).send(sampleNotification(), ctx());
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    const card = cardOf(receiver);
    expect(card.version).toBe('1.4');
    expect(card.body.map(textOf)).toContain('Approve order ORD-4711 conformance-marker');
    expect(card.body.map(textOf)).toContain('Order total is 1,250.00 EUR.');
    const facts = card.body.find((b) => b.type === 'FactSet')!.facts;
    expect(facts).toEqual([
      { title: 'Priority', value: 'high' },
      { title: 'Assignees', value: 'alice@example.com, group finance' },
      { title: 'Deadline', value: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open',
        url: 'https://gateway.example.com/interactions/int_conformance_1',
      },
    ]);
  });

  test('a request for several people carries no answer links, only Open: the channel is shared', async () => {
    receiver = await startWebhookReceiver();
    await createTeamsChannel({ webhookUrl: receiver.url, linkSecret: LINK_SECRET, now: () => NOW }).send(
      sampleNotification({
        signLink: undefined,
        links: { baseUrl: 'https://gw.example.com', viewUrl: 'https://gw.example.com/runs/r1' },
      }),
      ctx(),
    );
    const card = cardOf(receiver);
    expect(card.body.filter((b) => b.type === 'ActionSet')).toHaveLength(0);
    expect(JSON.stringify(card)).not.toContain('/respond/');
  });

  test('the sole assignee gets Approve/Reject OpenUrl buttons with signed links bound to them', async () => {
    receiver = await startWebhookReceiver();
    const base = sampleNotification({ signLink: undefined, links: { baseUrl: 'https://gw.example.com' } });
    const notification = { ...base, recipients: { users: ['alice@example.com'], groups: [] } };
    await createTeamsChannel({
      webhookUrl: receiver.url,
      linkSecret: LINK_SECRET,
      now: () => NOW,
      linkTtlSeconds: 600,
    }).send(notification, ctx());
    const sets = cardOf(receiver).body.filter((b) => b.type === 'ActionSet');
    expect(sets).toHaveLength(1);
    const recipients = ['alice@example.com'];
    sets.forEach((set, index) => {
      const [approve, reject] = set.actions;
      expect(approve).toMatchObject({ type: 'Action.OpenUrl', title: 'Approve', style: 'positive' });
      expect(reject).toMatchObject({ type: 'Action.OpenUrl', title: 'Reject', style: 'destructive' });
      const token = decodeURIComponent(approve.url.replace('https://gw.example.com/respond/', ''));
      expect(verifyResponseToken(token, LINK_SECRET, { now: NOW })).toMatchObject({
        interactionId: 'int_conformance_1',
        recipient: recipients[index],
        action: 'approve',
      });
      expect(() => verifyResponseToken(token, LINK_SECRET, { now: NOW + 600_000 })).toThrow(/expired/);
      const rejectToken = decodeURIComponent(reject.url.split('/').pop());
      expect(verifyResponseToken(rejectToken, LINK_SECRET, { now: NOW }).action).toBe('reject');
    });
  });

  test('takes request text literally, so a title cannot add markdown links', async () => {
    receiver = await startWebhookReceiver();
    const n = sampleNotification();
    await createTeamsChannel({ webhookUrl: receiver.url }).send(
      { ...n, interaction: { ...n.interaction, title: '[Click me](https://evil.example)' } },
      ctx(),
    );
    const title = cardOf(receiver).body.find((b) => textOf(b).includes('Click me'))!;
    expect(title.type).toBe('RichTextBlock');
    expect(title.inlines[0].type).toBe('TextRun');
  });

  test('has no answer buttons without a signer, nor for interactions that are not approvals', async () => {
    receiver = await startWebhookReceiver();
    const channel = createTeamsChannel({ webhookUrl: receiver.url });
    await channel.send(sampleNotification({ signLink: undefined }), ctx());
    const n = sampleNotification();
    await channel.send({ ...n, interaction: { ...n.interaction, type: 'input' } }, ctx());
    expect(cardOf(receiver, 0).body.some((b) => b.type === 'ActionSet')).toBe(false);
    expect(cardOf(receiver, 1).body.some((b) => b.type === 'ActionSet')).toBe(false);
  });

  test('retries 5xx and 429 with back-off and stops at maxAttempts', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(2, 429);
    const channel = createTeamsChannel({ webhookUrl: receiver.url, backoffMs: 50, maxAttempts: 3 });
    const started = Date.now();
    expect(await channel.send(sampleNotification(), ctx())).toMatchObject({ ok: true, attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150 - 5);

    receiver.failNext(Number.POSITIVE_INFINITY, 503);
    const before = receiver.requests.length;
    const failed = await createTeamsChannel({ webhookUrl: receiver.url, backoffMs: 5, maxAttempts: 2 }).send(
      sampleNotification(),
      ctx(),
    );
    expect(failed).toMatchObject({ ok: false, attempts: 2 });
    expect(failed.error).toMatch(/^teams: HTTP 503/);
    expect(receiver.requests.length - before).toBe(2);
  });

  test('refuses options without a webhook URL', () => {
    expect(() => createTeamsChannel({ webhookUrl: '' })).toThrow(
      expect.objectContaining({ code: 'LLMT_E_TEAMS_OPTIONS' }),
    );
    expect(() => createTeamsChannel({ webhookUrl: 'https://x', linkTtlSeconds: 0 })).toThrow(
      /linkTtlSeconds/,
    );
  });
});
