import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, e.g. `/hooks?x=1`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived. */
  rawBody: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  /**
   * Whether the Standard Webhooks signature matched (only when the receiver was given a
   * `secret`; `undefined` otherwise). Requests that fail are answered with 401.
   */
  verified?: boolean;
  /** Status the receiver answered with. */
  status: number;
  /** When the request's body had fully arrived (ms since the epoch), e.g. to measure back-off. */
  receivedAt: number;
}

/** A canned reply for one request. */
export interface ReceiverReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
}

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /**
   * Standard Webhooks secret (`whsec_<base64>` or raw). When set, every request's
   * `webhook-signature` is checked and a bad or missing one is answered with 401.
   * @default undefined (no verification)
   */
  secret?: string;
  /** Accepted clock skew of `webhook-timestamp`, in seconds. @default 300 */
  toleranceSeconds?: number;
  /**
   * Builds the reply to a successful request (e.g. Slack's `{ ok: true, ts }`).
   * @default 200 with body `ok`
   */
  reply?: (request: ReceivedRequest) => ReceiverReply;
}

/** A running receiver; see {@link startWebhookReceiver}. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received, in order, failed ones included. */
  requests: ReceivedRequest[];
  /** Answers the next `count` requests with `status` (default 500) instead of the reply; `Infinity` for all. */
  failNext(count: number, status?: number, headers?: Record<string, string>): void;
  /** Resolves once `count` requests arrived; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

function secretBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

// An independent implementation of the Standard Webhooks check, so plugin tests do not
// verify a plugin's signatures with the plugin's own code.
function verifyStandardWebhook(
  headers: IncomingHttpHeaders,
  body: string,
  secret: string,
  tolerance: number,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > tolerance) return false;
  const expected = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * Starts a real `node:http` server on 127.0.0.1 (a free port) that records every request,
 * for testing webhook-style channels (generic webhooks, Slack, Teams) at the network
 * boundary. It can verify Standard Webhooks signatures and fail requests on demand, to
 * test retries.
 *
 * ```ts
 * const receiver = await startWebhookReceiver({ secret: 'whsec_...' });
 * receiver.failNext(2, 503);
 * // ... send to receiver.url ...
 * const [request] = await receiver.waitForRequests(3);
 * await receiver.close();
 * ```
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let failures = { remaining: 0, status: 500, headers: {} as Record<string, string> };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
      } catch {
        json = undefined;
      }
      const record: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        rawBody,
        json,
        status: 200,
        receivedAt: Date.now(),
      };
      if (options.secret !== undefined) {
        record.verified = verifyStandardWebhook(
          req.headers,
          rawBody,
          options.secret,
          options.toleranceSeconds ?? 300,
        );
      }
      let reply: ReceiverReply;
      if (failures.remaining > 0) {
        failures.remaining -= 1;
        reply = { status: failures.status, headers: failures.headers, body: 'failing on purpose' };
      } else if (record.verified === false) {
        reply = { status: 401, body: 'bad signature' };
      } else {
        reply = options.reply?.(record) ?? { status: 200, body: 'ok' };
      }
      record.status = reply.status ?? 200;
      requests.push(record);
      const body = typeof reply.body === 'object' ? JSON.stringify(reply.body) : (reply.body ?? '');
      res.writeHead(record.status, {
        'content-type': typeof reply.body === 'object' ? 'application/json' : 'text/plain',
        ...reply.headers,
      });
      res.end(body);
      for (const wake of waiters) wake();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failNext(count, status = 500, headers = {}) {
      failures = { remaining: count, status, headers };
    },
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`Expected ${count} webhook request(s) within ${timeoutMs} ms, got ${requests.length}.`),
          );
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
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
