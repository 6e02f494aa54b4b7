import { type DeliveryResult, defineChannel, type NotificationChannel } from '@llmteam/core';
import { describe, expect, test } from 'vitest';
import { testChannelContext } from './channel-context.js';
import { type ChannelEndpoint, type ChannelUnderTest, channelConformanceSuite } from './channel-suite.js';
import { startSilentServer } from './servers/silent-server.js';
import { startWebhookReceiver } from './servers/webhook-receiver.js';

/** A minimal correct channel: POSTs the title, reports failures, follows ctx.signal. */
function referenceChannel(url: string, token: string): NotificationChannel {
  return defineChannel({
    name: 'reference',
    priorities: ['high', 'critical'],
    async send(notification, ctx): Promise<DeliveryResult> {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ title: notification.interaction.title }),
          signal: ctx.signal,
        });
        return response.ok ? { ok: true } : { ok: false, error: `HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, error: String(error) };
      }
    },
  });
}

async function endpoint(
  kind: ChannelEndpoint,
  make: (url: string) => NotificationChannel,
): Promise<ChannelUnderTest> {
  if (kind === 'silent') {
    const silent = await startSilentServer();
    return { channel: make(silent.url), received: async () => [], destroy: () => silent.close() };
  }
  const receiver = await startWebhookReceiver();
  if (kind === 'failing') receiver.failNext(Number.POSITIVE_INFINITY, 500);
  return {
    channel: make(receiver.url),
    received: async () => receiver.requests.filter((r) => r.status === 200).map((r) => r.rawBody),
    secrets: ['token-123'],
    destroy: () => receiver.close(),
  };
}

channelConformanceSuite({
  name: 'reference channel',
  test,
  expect,
  create: (kind) => endpoint(kind, (url) => referenceChannel(url, 'token-123')),
});

/** Runs the suite with a recording `test`, and returns which of its checks failed. */
async function failuresOf(make: (url: string) => NotificationChannel): Promise<string[]> {
  const cases: Array<[string, () => Promise<void>]> = [];
  channelConformanceSuite({
    name: 'x',
    test: (name, fn) => cases.push([name, fn]),
    expect,
    abortAfterMs: 50,
    abortGraceMs: 500,
    receiveTimeoutMs: 300,
    create: (kind) => endpoint(kind, make),
  });
  const failed: string[] = [];
  for (const [name, fn] of cases) {
    await fn().catch(() => failed.push(name.replace('x: ', '')));
  }
  return failed;
}

describe('channelConformanceSuite catches broken channels', () => {
  test('a channel that throws on a failing endpoint', async () => {
    const failed = await failuresOf((url) =>
      defineChannel({
        name: 'thrower',
        async send(n, ctx) {
          const result = await referenceChannel(url, 't').send(n, ctx);
          if (!result.ok) throw new Error(result.error);
          return result;
        },
      }),
    );
    expect(failed).toContain('a failing endpoint resolves { ok: false, error } instead of throwing');
  });

  test('a channel that ignores ctx.signal and hangs', async () => {
    const failed = await failuresOf((url) =>
      defineChannel({
        name: 'hanger',
        async send(n) {
          return referenceChannel(url, 't').send(n, testChannelContext());
        },
      }),
    );
    expect(failed).toEqual(['a silent endpoint does not hang the send once ctx.signal aborts']);
  });

  test('a channel that leaks its secret, and one that declares unknown priorities', async () => {
    const leaky = await failuresOf((url) =>
      defineChannel({
        name: 'leaky',
        async send(n, ctx) {
          await fetch(url, { method: 'POST', body: `token-123 ${n.interaction.title}`, signal: ctx.signal });
          return { ok: true };
        },
      }),
    );
    expect(leaky).toContain("the message carries none of the channel's secrets");
    const badPriorities = await failuresOf((url) => ({
      ...referenceChannel(url, 't'),
      priorities: ['urgent' as 'high'],
    }));
    expect(badPriorities).toEqual(['declares a name and a valid priorities filter']);
  });

  test('a channel that says ok without delivering', async () => {
    const failed = await failuresOf(() => defineChannel({ name: 'liar', send: async () => ({ ok: true }) }));
    expect(failed).toContain('send resolves { ok: true } and the message arrives with the title');
  });
});
