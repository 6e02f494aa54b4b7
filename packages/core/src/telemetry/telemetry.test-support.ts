import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { DurableIdGenerator } from './durable-id-generator.js';

/** A tracer provider that keeps finished spans in memory, with the engine's id generator. */
export function memoryTracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    idGenerator: new DurableIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { provider, exporter };
}

/** An AsyncLocalStorage context manager, as an SDK installs one. */
export function contextManager(): AsyncLocalStorageContextManager {
  return new AsyncLocalStorageContextManager().enable();
}

/** Milliseconds of a span's start or end time. */
export function ms(time: [number, number]): number {
  return time[0] * 1000 + Math.round(time[1] / 1e6);
}

/** The finished spans by name (the first of each name). */
export function byName(spans: ReadableSpan[]): Map<string, ReadableSpan> {
  const map = new Map<string, ReadableSpan>();
  for (const s of spans) if (!map.has(s.name)) map.set(s.name, s);
  return map;
}

/** The parent span id of a span, if it has one. */
export function parentOf(span: ReadableSpan | undefined): string | undefined {
  return span?.parentSpanContext?.spanId;
}

/** A local HTTP server that answers `{ ok: true }` and records each request's headers. */
export async function headerServer(): Promise<{
  url: string;
  headers: IncomingHttpHeaders[];
  server: Server;
}> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, headers, server };
}
