import type { Server } from 'node:http';
import type { Engine, Logger } from '@llmteam/core';

/** The close code for subscriptions ended by a shutdown. */
export const SHUTDOWN_CLOSE_CODE = 1001;

/** What {@link createShutdown} stops, in order. */
export interface ShutdownParts {
  logger: Logger;
  engine: Engine;
  server: Server;
  /** Marks the gateway as shutting down (health answers 503, new sockets get 1013). */
  begin(): void;
  /** Closes every graphql-ws socket with the code and reason. */
  closeSockets(code: number, reason: string): Promise<void>;
  /** Drains in-flight HTTP requests. */
  drainHttp(): Promise<void>;
  /** How long the engine may finish in-flight commits, in ms (`GatewayOptions.shutdownGraceMs`). */
  graceMs: number;
}

/**
 * Graceful shutdown, once however often it is called: stop accepting, close subscriptions
 * with 1001 and the reason, drain HTTP requests, close the port, let the engine finish
 * in-flight commits.
 */
export function createShutdown(parts: ShutdownParts): (reason?: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (reason = 'Server shutting down') => {
    stopping ??= (async () => {
      parts.begin();
      parts.logger.info({ reason }, 'gateway shutting down');
      await parts.closeSockets(SHUTDOWN_CLOSE_CODE, reason);
      await parts.drainHttp();
      const { server } = parts;
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await parts.engine.stop({ graceMs: parts.graceMs });
      parts.logger.info({}, 'gateway stopped');
    })();
    return stopping;
  };
}
