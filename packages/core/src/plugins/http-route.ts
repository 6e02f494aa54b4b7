import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../catalog/types.js';
import type { Engine } from '../engine/types.js';

/** What a route handler receives besides the request and the response. */
export interface HttpRouteContext {
  /** The engine the server serves (answers go through it like any other). */
  engine: Engine;
  /** The plugin's logger. */
  logger: Logger;
}

/**
 * An HTTP endpoint a plugin adds to the server that hosts the engine (the gateway mounts
 * every registered route on its port), e.g. a chat tool's interactivity callback. Plain
 * Node request and response: the body is not read for the handler, so it can verify a
 * signature over the raw bytes.
 */
export interface HttpRoute {
  /** Upper-case HTTP method. */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Exact path, starting with `/` (e.g. `/slack/interactions`); `/graphql` is reserved. */
  path: string;
  /** Answers the request; a throw becomes a 500 with no detail for the caller. */
  handler(req: IncomingMessage, res: ServerResponse, context: HttpRouteContext): void | Promise<void>;
}
