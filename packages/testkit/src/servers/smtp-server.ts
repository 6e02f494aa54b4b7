import type { AddressInfo } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail the test SMTP server accepted, parsed. */
export interface ReceivedMail {
  /** SMTP envelope sender (`MAIL FROM`). */
  envelopeFrom: string;
  /** SMTP envelope recipients (`RCPT TO`), lower-cased. */
  envelopeTo: string[];
  /** Addresses of the `To:` header. */
  to: string[];
  from: string;
  subject: string;
  /** The `text/plain` part. */
  text: string;
  /** The `text/html` part, or `''` when there is none. */
  html: string;
  headers: Map<string, unknown>;
  /** The message exactly as received (RFC 5322). */
  raw: string;
}

/** Options of {@link startSmtpServer}. */
export interface SmtpTestServerOptions {
  /**
   * Rejects every `RCPT TO` with this SMTP code (e.g. 550) instead of accepting mail, to
   * test delivery failures.
   * @default undefined (accept everything)
   */
  rejectRecipientsWith?: number;
  /**
   * Refuses every `AUTH` with `535`, to test a wrong SMTP password. `true` answers
   * `535 Authentication credentials invalid`; a function gives the reply's text from the
   * credentials tried (e.g. one that echoes them, as a careless server might).
   * @default undefined (any user and password are accepted)
   */
  rejectAuth?: boolean | ((credentials: { username: string; password: string }) => string);
}

/** A running test SMTP server; see {@link startSmtpServer}. */
export interface SmtpTestServer {
  host: '127.0.0.1';
  port: number;
  /** Every mail accepted, in arrival order. */
  messages: ReceivedMail[];
  /** Resolves once `count` mails arrived; rejects after `timeoutMs` (default 5000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((group) =>
    group.value.map((entry) => entry.address ?? '').filter(Boolean),
  );
}

/**
 * Starts a real SMTP server (the `smtp-server` package) on 127.0.0.1 (a free port),
 * without TLS and with optional authentication (any user and password are accepted, or
 * every one refused with `rejectAuth`), and
 * parses every accepted mail with `mailparser`. Point nodemailer at it with
 * `{ host: '127.0.0.1', port, secure: false, ignoreTLS: true }`.
 *
 * ```ts
 * const smtp = await startSmtpServer();
 * // ... send mail ...
 * const [mail] = await smtp.waitForMessages(1);
 * expect(mail.html).toContain('Approve');
 * await smtp.close();
 * ```
 */
export async function startSmtpServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    // Plain-text AUTH is fine on loopback and lets channels test their credentials.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      const reject = options.rejectAuth;
      if (reject) {
        const text =
          typeof reject === 'function'
            ? reject({ username: auth.username ?? '', password: auth.password ?? '' })
            : 'Authentication credentials invalid';
        callback(Object.assign(new Error(text), { responseCode: 535 }));
        return;
      }
      callback(null, { user: 'test' });
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipientsWith) {
        const error = new Error(`Recipient ${address.address} rejected by the test server`) as Error & {
          responseCode: number;
        };
        error.responseCode = options.rejectRecipientsWith;
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            messages.push({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              envelopeTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              to: addresses(parsed.to),
              from: addresses(parsed.from)[0] ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              headers: parsed.headers,
              raw: raw.toString('utf8'),
            });
            for (const wake of waiters) wake();
            callback();
          })
          .catch(callback);
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    waitForMessages(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          cleanup();
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Expected ${count} mail(s) within ${timeoutMs} ms, got ${messages.length}.`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
