import { type Notification, verifyResponseToken } from '@llmteam/core';
import {
  channelConformanceSuite,
  type ReceivedMail,
  type SmtpTestServer,
  sampleNotification,
  startSilentServer,
  startSmtpServer,
  testChannelContext,
} from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { createEmailChannel, type EmailChannelOptions } from './email-channel.js';

const SMTP_PASS = 'smtp-password-not-for-mails';
const LINK_SECRET = 'link-secret-not-for-mails';
const NOW = Date.UTC(2026, 0, 1, 12);
const ctx = () => testChannelContext();

function transport(port: number): EmailChannelOptions['transport'] {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    auth: { user: 'llmteam', pass: SMTP_PASS },
  };
}

function asText(mail: ReceivedMail): string {
  return [mail.subject, mail.text, mail.html].join('\n');
}

channelConformanceSuite({
  name: '@llmteam/notify-email',
  test,
  expect,
  async create(endpoint) {
    if (endpoint === 'silent') {
      const silent = await startSilentServer();
      const channel = createEmailChannel({ transport: transport(silent.port), from: 'llmteam@example.com' });
      return {
        channel,
        received: async () => [],
        destroy: async () => {
          await silent.close();
          await channel.close?.();
        },
      };
    }
    const smtp = await startSmtpServer(endpoint === 'failing' ? { rejectRecipientsWith: 550 } : {});
    const channel = createEmailChannel({
      transport: transport(smtp.port),
      from: 'llmteam@example.com',
      linkSecret: LINK_SECRET,
    });
    return {
      channel,
      received: async () => smtp.messages.map(asText),
      secrets: [SMTP_PASS, LINK_SECRET],
      destroy: async () => {
        await channel.close?.();
        await smtp.close();
      },
    };
  },
});

function linkOf(mail: ReceivedMail, action: 'Approve' | 'Reject'): string | undefined {
  return new RegExp(`${action}: (\\S+)`).exec(mail.text)?.[1];
}

function tokenOf(link: string): string {
  return decodeURIComponent(link.slice(link.lastIndexOf('/') + 1));
}

describe('email channel', () => {
  let smtp: SmtpTestServer | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  async function sendWith(notification: Notification, options: Partial<EmailChannelOptions> = {}) {
    smtp ??= await startSmtpServer();
    const channel = createEmailChannel({
      transport: transport(smtp.port),
      from: '"llmteam" <approvals@example.com>',
      linkSecret: LINK_SECRET,
      now: () => NOW,
      ...options,
    });
    try {
      return await channel.send(notification, ctx());
    } finally {
      await channel.close?.();
    }
  }

  const team = sampleNotification({
    recipients: { users: ['alice@example.com', 'bob', 'carol@example.com'], groups: ['finance'] },
    signLink: undefined,
  });

  test('sends one mail per recipient, with HTML and text parts', async () => {
    const result = await sendWith(team, {
      groupAddresses: { finance: ['fin@example.com', 'Alice@example.com'] },
    });
    expect(result.ok).toBe(true);
    expect(result.to).toEqual(['alice@example.com', 'carol@example.com', 'fin@example.com']);
    const mails = await smtp!.waitForMessages(3);
    expect(mails.map((m) => m.envelopeTo)).toEqual([
      ['alice@example.com'],
      ['carol@example.com'],
      ['fin@example.com'],
    ]);
    for (const mail of mails) {
      expect(mail.from).toBe('approvals@example.com');
      expect(mail.subject).toBe('[llmteam] [high] Approve order ORD-4711 conformance-marker');
      expect(mail.text).toContain('Order total is 1,250.00 EUR.');
      expect(mail.text).toContain('Priority: high');
      expect(mail.html).toContain('<h2');
      expect(mail.html).toContain('Approve order ORD-4711 conformance-marker');
      expect(mail.headers.get('x-llmteam-interaction')).toBe('int_conformance_1');
    }
    expect(result.messageId?.split(',')).toHaveLength(3);
  });

  test('links carry tokens verifyResponseToken accepts, bound to the request, recipient and action', async () => {
    await sendWith(team, { groupAddresses: { finance: 'fin@example.com' } });
    const mails = await smtp!.waitForMessages(3);
    const expected = ['alice@example.com', 'carol@example.com', 'finance'];
    mails.forEach((mail, index) => {
      const approve = linkOf(mail, 'Approve')!;
      const reject = linkOf(mail, 'Reject')!;
      expect(approve.startsWith('https://gateway.example.com/respond/')).toBe(true);
      expect(mail.html).toContain(`href="${approve}"`);
      expect(verifyResponseToken(tokenOf(approve), LINK_SECRET, { now: NOW })).toMatchObject({
        tenantId: 'tenant-conformance',
        interactionId: 'int_conformance_1',
        recipient: expected[index],
        action: 'approve',
      });
      expect(verifyResponseToken(tokenOf(reject), LINK_SECRET, { now: NOW }).action).toBe('reject');
    });
    expect(tokenOf(linkOf(mails[0], 'Approve')!)).not.toBe(tokenOf(linkOf(mails[1], 'Approve')!));
  });

  test('links expire after linkTtlSeconds, 7 days by default', async () => {
    await sendWith(team);
    await sendWith(team, { linkTtlSeconds: 3600 });
    const [byDefault, , short] = await smtp!.waitForMessages(3);
    const week = tokenOf(linkOf(byDefault, 'Approve')!);
    expect(() => verifyResponseToken(week, LINK_SECRET, { now: NOW + 7 * 86_400_000 - 1000 })).not.toThrow();
    expect(() => verifyResponseToken(week, LINK_SECRET, { now: NOW + 7 * 86_400_000 })).toThrow(/expired/);
    const hour = tokenOf(linkOf(short, 'Approve')!);
    expect(() => verifyResponseToken(hour, LINK_SECRET, { now: NOW + 3_600_000 })).toThrow(/expired/);
  });

  test("uses the notification's own signer and respond URL when present", async () => {
    await sendWith(sampleNotification({ links: { respondUrl: 'https://gw.example.com/r' } }));
    const [mail] = await smtp!.waitForMessages(1);
    const expected = `signed-${Buffer.from('alice@example.com:approve').toString('base64url')}`;
    expect(linkOf(mail, 'Approve')).toBe(`https://gw.example.com/r/${expected}`);
  });

  test('sends no answer links when it has no way to sign them', async () => {
    await sendWith(sampleNotification({ signLink: undefined }), { linkSecret: undefined });
    const [mail] = await smtp!.waitForMessages(1);
    expect(linkOf(mail, 'Approve')).toBeUndefined();
    expect(mail.text).toContain('Open: https://gateway.example.com/interactions/int_conformance_1');
  });

  test('HTML-escapes everything taken from the request', async () => {
    const n = sampleNotification();
    await sendWith({
      ...n,
      interaction: {
        ...n.interaction,
        title: '<script>alert(1)</script> & "x"',
        description: '<img src=x onerror=y>',
      },
    });
    const [mail] = await smtp!.waitForMessages(1);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
    expect(mail.text).toContain('<script>alert(1)</script> & "x"');
  });

  test('a title cannot inject mail headers', async () => {
    const n = sampleNotification();
    await sendWith({ ...n, interaction: { ...n.interaction, title: 'Hi\r\nBcc: eve@example.com' } });
    const [mail] = await smtp!.waitForMessages(1);
    expect(mail.envelopeTo).toEqual(['alice@example.com']);
    expect(mail.headers.has('bcc')).toBe(false);
  });

  test('falls back to defaultTo when no recipient has an address, and fails without one', async () => {
    const nobody = sampleNotification({ recipients: { users: ['bob'], groups: ['ops'] } });
    expect(await sendWith(nobody, { defaultTo: 'ops-inbox@example.com' })).toMatchObject({
      ok: true,
      to: ['ops-inbox@example.com'],
    });
    // The fallback mailbox is nobody's identity: it is told, with no link that answers.
    const [fallback] = await smtp!.waitForMessages(1);
    expect(`${fallback.text}${fallback.html}`).not.toContain('/respond/');
    const failed = await sendWith(nobody);
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/no address/);
  });

  test('reports the recipients the server refused', async () => {
    smtp = await startSmtpServer({ rejectRecipientsWith: 550 });
    const result = await sendWith(sampleNotification());
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/alice@example.com: .*550/);
    expect(result.to).toEqual([]);
  });

  test('refuses options without transport or sender', () => {
    expect(() => createEmailChannel({ from: 'a@b.co' } as EmailChannelOptions)).toThrow(
      expect.objectContaining({ code: 'LLMT_E_EMAIL_OPTIONS' }),
    );
    expect(() => createEmailChannel({ transport: {}, from: '' })).toThrow(/from/);
    expect(() =>
      createEmailChannel({ transport: {}, from: 'a@b.co', groupAddresses: { ops: ['not-an-address'] } }),
    ).toThrow(/groupAddresses.ops/);
  });

  test('logs in with the password a named secret holds, and reports a refused login', async () => {
    smtp = await startSmtpServer();
    const accepted = await sendChannel({ passwordSecret: 'smtp_password' }, { smtp_password: 'pw-right-1' });
    expect(accepted.ok).toBe(true);
    await smtp.close();
    // A careless server that echoes the password it was given: the channel scrubs it.
    smtp = await startSmtpServer({ rejectAuth: ({ password }) => `Authentication failed for ${password}` });
    const refused = await sendChannel({ passwordSecret: 'smtp_password' }, { smtp_password: 'pw-wrong-2' });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/535/);
    expect(refused.error).toContain('[secret]');
    expect(refused.error).not.toContain('pw-wrong-2');
    expect(smtp.messages).toHaveLength(0);
  });

  async function sendChannel(options: Partial<EmailChannelOptions>, secrets: Record<string, string>) {
    const channel = createEmailChannel({
      transport: { ...transport(smtp!.port), auth: { user: 'llmteam' } },
      from: 'approvals@example.com',
      ...options,
    });
    try {
      return await channel.send(sampleNotification(), testChannelContext({ secrets }));
    } finally {
      await channel.close?.();
    }
  }

  test('refuses a passwordSecret without an SMTP user, or beside a password', () => {
    expect(() =>
      createEmailChannel({ transport: { host: 'smtp' }, from: 'a@b.co', passwordSecret: 'smtp_password' }),
    ).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_EMAIL_OPTIONS',
        message: expect.stringContaining('transport.auth.user'),
      }),
    );
    expect(() =>
      createEmailChannel({
        transport: { host: 'smtp', auth: { user: 'u', pass: 'p' } },
        from: 'a@b.co',
        passwordSecret: 'smtp_password',
      }),
    ).toThrow(/not both/);
  });
});
