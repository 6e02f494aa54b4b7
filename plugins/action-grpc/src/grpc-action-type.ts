import { isAbsolute, resolve } from 'node:path';
import type { Client, ServiceError } from '@grpc/grpc-js';
import {
  type ActionConfig,
  type ActionTypeContext,
  type ActionTypeHandler,
  LlmteamError,
  parseDuration,
} from '@llmteam/core';

/** Options of the `grpc` action type (the plugin options). */
export interface GrpcActionTypeOptions {
  /** Directory relative `proto` paths resolve from. @default process.cwd() */
  protoDir?: string;
}

interface GrpcActionConfig extends ActionConfig {
  /** `host:port` of the server. */
  address: string;
  /** Path of the `.proto` file. */
  proto: string;
  /** Fully qualified service name, e.g. `inventory.v1.Inventory`. */
  service: string;
  /** Unary method name, e.g. `Check`. */
  method: string;
  /** Use TLS (system roots). @default false */
  tls?: boolean;
  /** Plain metadata sent with each call. */
  metadata?: Record<string, string>;
  /** Metadata whose values are secrets, by name: `{ "authorization": "inventory_token" }`. */
  metadata_secrets?: Record<string, string>;
}

const RETRYABLE = new Set([1, 4, 8, 10, 14]); // CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE

/**
 * The `grpc` action type: unary calls (`@grpc/grpc-js`, service definitions loaded from a
 * `.proto` with `@grpc/proto-loader`) with the action's timeout as the call deadline and
 * metadata (auth from named secrets, `idempotency-key`, `x-correlation-id`, `x-tenant-id`).
 */
export function createGrpcActionType(options: GrpcActionTypeOptions = {}): ActionTypeHandler {
  const clients = new Map<string, Promise<Client>>();
  const client = (action: string, config: GrpcActionConfig): Promise<Client> => {
    const key = `${config.proto}\u0000${config.service}\u0000${config.address}\u0000${config.tls ? 1 : 0}`;
    let found = clients.get(key);
    if (!found) {
      found = (async () => {
        const grpc = await import('@grpc/grpc-js');
        const loader = await import('@grpc/proto-loader');
        const file = isAbsolute(config.proto)
          ? config.proto
          : resolve(options.protoDir ?? process.cwd(), config.proto);
        let definition: ReturnType<typeof loader.loadSync>;
        try {
          definition = await loader.load(file, {
            keepCase: true,
            longs: String,
            enums: String,
            defaults: true,
            oneofs: true,
          });
        } catch (cause) {
          throw new LlmteamError(
            'LLMT_E_ACTION_CONFIG',
            `action "${action}": proto ${file} could not be loaded: ${(cause as Error).message}`,
            { cause, details: { action, field: 'proto' } },
          );
        }
        const loaded = grpc.loadPackageDefinition(definition) as Record<string, unknown>;
        const Service = config.service
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], loaded) as
          | (new (
              address: string,
              credentials: unknown,
            ) => Client)
          | undefined;
        if (typeof Service !== 'function') {
          throw new LlmteamError(
            'LLMT_E_ACTION_CONFIG',
            `action "${action}": service "${config.service}" is not in ${file}; give its fully qualified name`,
            { details: { action, field: 'service' } },
          );
        }
        const credentials = config.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
        return new Service(config.address, credentials);
      })();
      clients.set(key, found);
      found.catch(() => clients.delete(key));
    }
    return found;
  };

  return {
    type: 'grpc',
    configSchema: {
      type: 'object',
      required: ['address', 'proto', 'service', 'method'],
      properties: {
        address: { type: 'string', minLength: 3 },
        proto: { type: 'string', minLength: 1 },
        service: { type: 'string', minLength: 1 },
        method: { type: 'string', minLength: 1 },
        tls: { type: 'boolean' },
        metadata: { type: 'object', additionalProperties: { type: 'string' } },
        metadata_secrets: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
      },
    },
    async close() {
      const open = [...clients.values()];
      clients.clear();
      for (const c of open) (await c.catch(() => undefined))?.close();
    },
    async execute(input, ctx: ActionTypeContext) {
      const config = ctx.config as GrpcActionConfig;
      const grpc = await import('@grpc/grpc-js');
      const stub = (await client(ctx.action, config)) as unknown as Record<string, unknown>;
      const call = stub[config.method] as
        | ((
            req: unknown,
            md: unknown,
            opts: unknown,
            cb: (e: ServiceError | null, r: unknown) => void,
          ) => { cancel(): void })
        | undefined;
      if (typeof call !== 'function') {
        throw new LlmteamError(
          'LLMT_E_ACTION_CONFIG',
          `action "${ctx.action}": service "${config.service}" has no method "${config.method}"`,
          { details: { action: ctx.action, field: 'method' } },
        );
      }
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(config.metadata ?? {})) metadata.set(k, v);
      for (const [k, secret] of Object.entries(config.metadata_secrets ?? {}))
        metadata.set(k, await ctx.secrets.get(secret, `metadata_secrets.${k}`));
      metadata.set('idempotency-key', ctx.idempotencyKey);
      metadata.set('x-correlation-id', ctx.correlationId);
      metadata.set('x-tenant-id', ctx.tenantId);
      const timeoutMs = parseDuration(config.timeout ?? 30, `actions.${ctx.action}.timeout`);
      const deadline = new Date(Date.now() + timeoutMs);
      const data = await new Promise<unknown>((resolvePromise, reject) => {
        const pending = call.call(stub, input ?? {}, metadata, { deadline }, (error, response) => {
          if (!error) return resolvePromise(response);
          const status = grpc.status[error.code] ?? String(error.code);
          const retryable = RETRYABLE.has(error.code);
          reject(
            new LlmteamError(
              error.code === grpc.status.UNAVAILABLE
                ? 'LLMT_E_ACTION_UNAVAILABLE'
                : error.code === grpc.status.DEADLINE_EXCEEDED
                  ? 'LLMT_E_ACTION_TIMEOUT'
                  : 'LLMT_E_ACTION_FAILED',
              `action "${ctx.action}": ${config.service}/${config.method} answered ${status}: ${error.details || error.message}`,
              {
                cause: error,
                retryable,
                details: { action: ctx.action, field: 'method', response_code: status },
              },
            ),
          );
        });
        ctx.signal.addEventListener('abort', () => pending.cancel(), { once: true });
      });
      return { data: JSON.parse(JSON.stringify(data ?? null)), code: 'OK' };
    },
  };
}
