import { DurableIdGenerator, type Logger } from '@llmteam/core';
import { context, type TracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { GatewayError } from '../errors.js';

/** The config file's `telemetry` section. */
export interface TelemetryConfig {
  /** `service.name` of the spans. @default "llmteam-gateway" */
  serviceName?: string;
  /** Sends spans over OTLP/HTTP (JSON) to a collector, e.g. `{ "endpoint": "http://127.0.0.1:4318" }`. */
  otlp?: {
    /** Base URL of the collector; spans go to `<endpoint>/v1/traces`. */
    endpoint: string;
    /** Extra request headers (e.g. an API key of a hosted backend). @default {} */
    headers?: Record<string, string>;
    /** Export timeout in ms. @default 10000 */
    timeoutMs?: number;
  };
  /** Share of new traces recorded (0..1); a run that continues a caller's trace follows its sampled flag. @default 1 */
  sampleRatio?: number;
}

/** A running tracer provider and how to flush and stop it. */
export interface Tracing {
  provider: TracerProvider;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

const KEYS = ['serviceName', 'otlp', 'sampleRatio'];
const OTLP_KEYS = ['endpoint', 'headers', 'timeoutMs'];

function fail(file: string, field: string, fix: string): never {
  throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: telemetry.${field} ${fix}`, {
    details: { field: `telemetry.${field}` },
  });
}

/** Checks the `telemetry` section of a config, naming the field and the fix. */
export function checkTelemetryConfig(value: unknown, file: string): TelemetryConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: telemetry must be { "otlp": { "endpoint": "http://127.0.0.1:4318" }, "serviceName": "..." }`,
      { details: { field: 'telemetry' } },
    );
  const t = value as Record<string, unknown>;
  const unknown = Object.keys(t).find((k) => !KEYS.includes(k));
  if (unknown) fail(file, unknown, `is not a telemetry setting; known keys: ${KEYS.join(', ')}`);
  if (t.serviceName !== undefined && (typeof t.serviceName !== 'string' || !t.serviceName))
    fail(file, 'serviceName', 'must be a non-empty string');
  if (
    t.sampleRatio !== undefined &&
    !(typeof t.sampleRatio === 'number' && t.sampleRatio >= 0 && t.sampleRatio <= 1)
  )
    fail(file, 'sampleRatio', 'must be a number from 0 to 1');
  if (t.otlp !== undefined) {
    const o = t.otlp as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      fail(file, 'otlp', 'must be { "endpoint": "http://127.0.0.1:4318" }');
    const extra = Object.keys(o).find((k) => !OTLP_KEYS.includes(k));
    if (extra) fail(file, `otlp.${extra}`, `is not an OTLP setting; known keys: ${OTLP_KEYS.join(', ')}`);
    let url: URL | undefined;
    try {
      url = typeof o.endpoint === 'string' ? new URL(o.endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      fail(
        file,
        'otlp.endpoint',
        'must be the http(s) URL of an OTLP/HTTP collector, e.g. "http://127.0.0.1:4318"',
      );
    if (
      o.headers !== undefined &&
      (typeof o.headers !== 'object' ||
        o.headers === null ||
        Object.values(o.headers).some((h) => typeof h !== 'string'))
    )
      fail(file, 'otlp.headers', 'must map header names to strings');
    if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs > 0))
      fail(file, 'otlp.timeoutMs', 'must be a positive number of milliseconds');
  }
  return t as TelemetryConfig;
}

/** Where `<endpoint>/v1/traces` is, whether the endpoint ends in a slash or not. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * A tracer provider for the engine: the engine's {@link DurableIdGenerator} (so spans of
 * runs and steps that end after a restart keep their ids), batched export over OTLP/HTTP,
 * and an AsyncLocalStorage context manager (installed globally unless one already is).
 * `exporter` replaces the OTLP one (tests, benchmarks).
 */
export function createTracing(config: TelemetryConfig, logger: Logger, exporter?: SpanExporter): Tracing {
  const target =
    exporter ??
    new OTLPTraceExporter({
      url: tracesUrl(config.otlp!.endpoint),
      headers: config.otlp?.headers ?? {},
      timeoutMillis: config.otlp?.timeoutMs ?? 10_000,
    });
  const ratio = config.sampleRatio ?? 1;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? 'llmteam-gateway' }),
    idGenerator: new DurableIdGenerator(),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [new BatchSpanProcessor(target)],
  });
  // Planned span ids travel on the active context: that needs a context manager.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  logger.info(
    { endpoint: config.otlp?.endpoint, serviceName: config.serviceName ?? 'llmteam-gateway' },
    'tracing on',
  );
  return {
    provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
