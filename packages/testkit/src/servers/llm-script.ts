import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A tool call a scripted reply makes. */
export interface ScriptedToolCall {
  /** @default `call_<n>` */
  id?: string;
  name: string;
  /** An object (sent as its JSON) or the exact text to send, e.g. malformed JSON. */
  arguments: unknown;
}

/** Token usage a scripted reply reports. */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

/** How a scripted answer is delivered, for either wire format. */
export interface ScriptedDelivery {
  /** Characters per streamed text piece. @default 8 */
  chunkSize?: number;
  /** Wait between streamed pieces, in ms (a slow stream). @default 0 */
  delayMs?: number;
  /** Destroy the connection after this many streamed pieces (a cut stream). */
  cutAfterChunks?: number;
}

/** A model answer: text, tool calls (several make parallel calls), or both. */
export interface ScriptedAnswer extends ScriptedDelivery {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** @default 10 input, 5 output */
  usage?: ScriptedUsage;
  /** Overrides the finish reason (`length`, `content_filter`, ...). @default by content */
  finishReason?: string;
}

/** An HTTP failure, e.g. `{ status: 429, headers: { 'retry-after': '2' } }` or 500. */
export interface ScriptedFailure {
  status: number;
  headers?: Record<string, string>;
  /** The error message in the wire format's error body. @default "scripted failure" */
  message?: string;
}

/** An answer whose body (or, streamed, whose first event) is not valid JSON. */
export interface ScriptedMalformed {
  malformed: true;
}

/** One scripted reply. */
export type ScriptedReply = ScriptedAnswer | ScriptedFailure | ScriptedMalformed;

/** One request a model test server received. */
export interface LlmTestRequest {
  path: string;
  /** The query string's parameters, e.g. `{ "api-version": "2024-10-21" }` (Azure OpenAI). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
  /** Whether the request asked for a stream. */
  stream: boolean;
}

/** Options of the model test servers. */
export interface LlmTestServerOptions {
  /**
   * Replies to requests when the script is used up; return `undefined` to answer 500
   * "no scripted reply".
   * @default undefined (500)
   */
  fallback?: (request: LlmTestRequest) => ScriptedReply | undefined;
  /**
   * Called as each server-sent event of a streamed answer is handed to the socket, with the
   * event's data and `performance.now()`: when a token leaves the server (latency benchmarks).
   * @default undefined
   */
  onStreamEvent?: (event: { request: LlmTestRequest; index: number; data: unknown; at: number }) => void;
}

/** A running model test server. */
export interface LlmTestServer {
  /** The base URL clients take, e.g. `http://127.0.0.1:4321/v1`. */
  url: string;
  port: number;
  /** Model calls received (requests to the completion endpoint), failed ones included. */
  readonly calls: number;
  /** Every model request, in order. */
  requests: LlmTestRequest[];
  /** Appends replies, answered in order, one per request; a function decides per request. */
  script(...replies: Array<ScriptedReply | ((request: LlmTestRequest) => ScriptedReply)>): void;
  /** Scripted replies not used yet. */
  readonly pending: number;
  /** Forgets the script and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** How a wire format writes a reply. */
export interface LlmWireFormat {
  /** Path of the completion endpoint under the server root, e.g. `/v1/chat/completions`. */
  path: string;
  /** Other paths the endpoint answers on (e.g. Azure OpenAI's per-deployment path). @default only `path` */
  matches?(path: string): boolean;
  /** Error body of a failure. */
  errorBody(status: number, message: string): unknown;
  /** The JSON body of a non-streamed answer. */
  answerBody(answer: ScriptedAnswer, request: LlmTestRequest, n: number): unknown;
  /** The server-sent events of a streamed answer: `[event name or undefined, data]`. */
  streamEvents(
    answer: ScriptedAnswer,
    request: LlmTestRequest,
    n: number,
  ): Array<[string | undefined, unknown]>;
}

/** Splits text into pieces of `size` characters. */
export function textChunks(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The arguments of a scripted tool call as the text sent over the wire. */
export function argumentsText(call: ScriptedToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a model test server speaking `format` on 127.0.0.1 (a free port). */
export async function startScriptedLlmServer(
  format: LlmWireFormat,
  options: LlmTestServerOptions = {},
): Promise<LlmTestServer> {
  const queue: Array<ScriptedReply | ((request: LlmTestRequest) => ScriptedReply)> = [];
  const requests: LlmTestRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let calls = 0;

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const stream = async (res: ServerResponse, answer: ScriptedAnswer, request: LlmTestRequest, n: number) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const events = format.streamEvents(answer, request, n);
    let sent = 0;
    for (const [event, data] of events) {
      if (answer.cutAfterChunks !== undefined && sent >= answer.cutAfterChunks) {
        res.socket?.destroy();
        return;
      }
      if (answer.delayMs && sent > 0) await sleep(answer.delayMs);
      if (res.destroyed) return;
      const line = `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
      // Waiting for each write lets a client see every piece before a scripted cut.
      options.onStreamEvent?.({ request, index: sent, data, at: performance.now() });
      await new Promise<void>((resolve) => res.write(line, () => resolve()));
      sent++;
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (req.method !== 'POST' || (path !== format.path && !format.matches?.(path))) {
      sendJson(
        res,
        404,
        format.errorBody(404, `no route ${req.method} ${path}; the model endpoint is ${format.path}`),
      );
      return;
    }
    calls++;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      sendJson(res, 400, format.errorBody(400, 'request body is not JSON'));
      return;
    }
    const request: LlmTestRequest = {
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      stream: body.stream === true,
    };
    requests.push(request);
    const next = queue.shift();
    const reply = typeof next === 'function' ? next(request) : (next ?? options.fallback?.(request));
    if (!reply) {
      sendJson(res, 500, format.errorBody(500, 'no scripted reply left for this request'));
      return;
    }
    if ('status' in reply) {
      sendJson(
        res,
        reply.status,
        format.errorBody(reply.status, reply.message ?? 'scripted failure'),
        reply.headers,
      );
      return;
    }
    if ('malformed' in reply) {
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"choices": [ {"delta": {"content": "unterminated\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "broken", "choices": [ {"message": ');
      }
      return;
    }
    if (request.stream) await stream(res, reply, request, calls);
    else sendJson(res, 200, format.answerBody(reply, request, calls));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, format.errorBody(500, String(error)));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    get calls() {
      return calls;
    },
    requests,
    script(...replies) {
      queue.push(...replies);
    },
    get pending() {
      return queue.length;
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
      calls = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
