import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { LlmteamError } from '../errors.js';
import type { OutboundGuard } from './outbound-guard.js';

/** One HTTP exchange, as the HTTP action types need it. */
export interface HttpExchange {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

/** What {@link sendHttp} sends. */
export interface HttpSendOptions {
  action: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
  maxBytes: number;
  /** Redirects followed. @default 5 */
  maxRedirects: number;
  /** Header names (lower case) that carry credentials: dropped when a redirect changes origin. */
  credentialHeaders: Set<string>;
  guard: OutboundGuard;
  agents: { http: HttpAgent; https: HttpsAgent };
}

/** Keep-alive agents for HTTP actions (one pair per registry). */
export function createHttpAgents(): { http: HttpAgent; https: HttpsAgent } {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
  };
}

function once(
  options: HttpSendOptions,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
) {
  return new Promise<HttpExchange>((resolve, reject) => {
    const context = { action: options.action, host: url.host };
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    // A literal address needs no lookup, so it is checked here; names are checked at connect.
    if (isIP(hostname)) {
      try {
        options.guard.check(hostname, context);
      } catch (refusal) {
        reject(refusal);
        return;
      }
    }
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, {
      method,
      headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
      agent: secure ? options.agents.https : options.agents.http,
      lookup: options.guard.lookupFor(context),
      signal: options.signal,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        res.destroy();
        reject(tooLarge(options, declared));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          reject(tooLarge(options, size));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          url: url.href,
        }),
      );
    });
    req.end(body);
  });
}

function tooLarge(options: HttpSendOptions, size: number): LlmteamError {
  return new LlmteamError(
    'LLMT_E_ACTION_RESPONSE_TOO_LARGE',
    `action "${options.action}": the response is larger than max_response_bytes (${options.maxBytes}; got at least ${size}); raise actions.${options.action}.max_response_bytes or ask for less`,
    { retryable: false, details: { action: options.action, field: 'max_response_bytes', size } },
  );
}

/**
 * Sends a request, following redirects itself: each hop is checked by the guard, and when
 * a hop changes origin the credential headers (Authorization, API key, signature, cookies,
 * secret headers) are dropped, so a redirect can never carry them to another origin.
 */
export async function sendHttp(target: URL, options: HttpSendOptions): Promise<HttpExchange> {
  let url = target;
  let method = options.method;
  let headers = { ...options.headers };
  let body = options.body;
  for (let hop = 0; ; hop++) {
    const answer = await once(options, url, method, headers, body);
    const location = answer.headers.location;
    if (answer.status < 300 || answer.status >= 400 || answer.status === 304 || !location) return answer;
    if (hop >= options.maxRedirects) {
      throw new LlmteamError(
        'LLMT_E_ACTION_FAILED',
        `action "${options.action}": more than ${options.maxRedirects} redirects from ${target.href}`,
        { retryable: false, details: { action: options.action, field: 'url', response_code: answer.status } },
      );
    }
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new LlmteamError(
        'LLMT_E_ADDRESS_NOT_ALLOWED',
        `action "${options.action}": redirect to ${next.protocol} refused; actions follow only http and https`,
        { retryable: false, details: { action: options.action, field: 'url' } },
      );
    }
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(
        Object.entries(headers).filter(([name]) => !options.credentialHeaders.has(name.toLowerCase())),
      );
    }
    if (
      answer.status === 303 ||
      ((answer.status === 301 || answer.status === 302) && method !== 'GET' && method !== 'HEAD')
    ) {
      method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([n]) => !/^content-/i.test(n)));
    }
    url = next;
  }
}

/** `sha256=<hex>` HMAC over `<timestamp>.<body>`. */
export function hmacSignature(
  algorithm: string,
  secret: string,
  timestamp: string,
  body: Buffer | undefined,
): string {
  const mac = createHmac(algorithm, secret);
  mac.update(`${timestamp}.`);
  if (body) mac.update(body);
  return `${algorithm}=${mac.digest('hex')}`;
}
