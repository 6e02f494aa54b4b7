import type { Engine, Logger } from '@llmteam/core';
import type { AuthInfo } from './auth/api-keys.js';
import type { RequestReads } from './schema/request-reads.js';

/** What every resolver receives. */
export interface GatewayContext {
  engine: Engine;
  /** The caller; undefined for requests without an API key (only `health` answers them). */
  auth?: AuthInfo;
  logger: Logger;
  /** Facts about the running gateway, for `health`. */
  info: GatewayInfo;
  /** The caller's W3C trace context (a valid `traceparent` header, and its `tracestate`). */
  trace?: { traceparent: string; tracestate?: string; traceId: string };
  /** Reads shared by the fields of one HTTP request (absent on graphql-ws sockets). */
  reads?: RequestReads;
}

/** Read-only facts about a running gateway, and the one thing resolvers may ask of it. */
export interface GatewayInfo {
  version: string;
  startedAt: number;
  /** Name of the engine's store, for `health`. */
  storeName: string;
  /** True once shutdown began. */
  isShuttingDown(): boolean;
  /** Checks every live graphql-ws session now (after a key was revoked, a tenant suspended). */
  recheckSessions(): void;
}
