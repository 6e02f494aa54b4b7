import type { Engine } from '@llmteam/core';
import type { GatewayContext } from '../context.js';
import { unauthenticatedError } from '../errors.js';
import type { GatewayPlugin } from '../protection/gateway-plugin.js';
import { type AuthInfo, authenticate, hashApiKey, keyRefusal, parseBearer } from './api-keys.js';

/** Options of {@link useApiKeyAuth}. */
export interface ApiKeyAuthOptions {
  /** The engine whose store holds the keys and whose clock decides expiry. */
  engine: Engine;
}

/**
 * API-key authentication for HTTP and graphql-ws: `Authorization: Bearer <key>` or
 * `connectionParams.authorization`. HTTP requests without a key get no `auth` (only
 * `health` answers them); graphql-ws needs a key. A live session is checked again before
 * each delivery: a revoked or expired key, or a suspended tenant, ends it.
 */
export function useApiKeyAuth(options: ApiKeyAuthOptions): GatewayPlugin {
  const { engine } = options;
  // The secret's hash per authenticated caller, to look the key up again for live sessions.
  const hashes = new WeakMap<AuthInfo, string>();
  return {
    name: 'api-key-auth',
    async onContext(input) {
      const secret = parseBearer(input.authorization);
      if (input.authorization === undefined && input.transport === 'http') return undefined;
      const auth = await authenticate(engine.store, secret, engine.clock.now());
      if (!auth) throw unauthenticatedError();
      hashes.set(auth, hashApiKey(secret as string));
      return { auth };
    },
    async onSessionCheck(context: GatewayContext) {
      const auth = context.auth;
      const hash = auth && hashes.get(auth);
      if (!auth || !hash) return true;
      const record = await engine.store.findApiKeyByHash(hash);
      return (await keyRefusal(engine.store, record, engine.clock.now())) === undefined;
    },
  };
}
