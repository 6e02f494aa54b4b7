import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type SmtpTestServer, startSmtpServer } from './smtp-server.js';

/** Speaks just enough SMTP to hand over one message; returns the server's replies. */
async function sendRaw(port: number, from: string, to: string[], data: string): Promise<string[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  const replies: string[] = [];
  let buffer = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    wake?.();
  });
  const reply = async (): Promise<string> => {
    // A reply is complete at a line whose code is followed by a space.
    while (!/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer))
      await new Promise<void>((resolve) => (wake = resolve));
    const text = buffer;
    buffer = '';
    replies.push(text.trim());
    return text;
  };
  const command = async (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  await reply();
  await command('EHLO test.local');
  await command(`MAIL FROM:<${from}>`);
  for (const rcpt of to) await command(`RCPT TO:<${rcpt}>`);
  if (replies.some((r) => r.startsWith('5'))) {
    socket.end();
    return replies;
  }
  await command('DATA');
  await command(`${data.replace(/\n/g, '\r\n')}\r\n.`);
  await command('QUIT');
  socket.end();
  return replies;
}

const MIME = `From: llmteam <sender@example.com>
To: alice@example.com
Subject: Approve order
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Approve: https://gw/respond/t1
--b1
Content-Type: text/html; charset=utf-8

<p><a href="https://gw/respond/t1">Approve</a></p>
--b1--`;

describe('startSmtpServer', () => {
  let smtp: SmtpTestServer | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  test('accepts mail without TLS and exposes it parsed, with text and HTML parts', async () => {
    smtp = await startSmtpServer();
    await sendRaw(smtp.port, 'sender@example.com', ['Alice@example.com'], MIME);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail).toMatchObject({
      envelopeFrom: 'sender@example.com',
      envelopeTo: ['alice@example.com'],
      to: ['alice@example.com'],
      from: 'sender@example.com',
      subject: 'Approve order',
    });
    expect(mail.text.trim()).toBe('Approve: https://gw/respond/t1');
    expect(mail.html).toContain('<a href="https://gw/respond/t1">Approve</a>');
    expect(mail.raw).toContain('Subject: Approve order');
  });

  test('can refuse every recipient, to test delivery failures', async () => {
    smtp = await startSmtpServer({ rejectRecipientsWith: 550 });
    const replies = await sendRaw(smtp.port, 'sender@example.com', ['bob@example.com'], MIME);
    expect(replies.at(-1)).toMatch(/^550 /);
    expect(smtp.messages).toHaveLength(0);
  });

  test('waitForMessages rejects when too few mails arrive in time', async () => {
    smtp = await startSmtpServer();
    await expect(smtp.waitForMessages(1, 50)).rejects.toThrow(/Expected 1 mail/);
  });
});
