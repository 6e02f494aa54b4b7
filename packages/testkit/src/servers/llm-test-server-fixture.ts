import type { LlmTestServer, LlmTestServerOptions } from './llm-script.js';
import { startOpenAiTestServer } from './openai-test-server.js';

/** A runner's hooks (vitest's and jest's `beforeAll`, `afterAll`, `beforeEach`). */
export interface LlmTestServerHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
  /** When given, the server's script and recorded requests are reset before each test. */
  beforeEach?(fn: () => void): void;
}

/**
 * The model test server of a test file: started before its tests, closed after them, reset
 * before each test when `beforeEach` is given. Returns the server itself (usable inside the
 * tests, once started), so a file writes one line instead of the same set-up each time.
 *
 * ```ts
 * const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });
 * ```
 */
export function useOpenAiTestServer(
  hooks: LlmTestServerHooks,
  options: LlmTestServerOptions = {},
  start: (options: LlmTestServerOptions) => Promise<LlmTestServer> = startOpenAiTestServer,
): LlmTestServer {
  let server: LlmTestServer | undefined;
  hooks.beforeAll(async () => {
    server = await start(options);
  });
  hooks.afterAll(async () => {
    await server?.close();
  });
  hooks.beforeEach?.(() => server?.reset());
  return new Proxy({} as LlmTestServer, {
    get(_target, prop) {
      if (!server) throw new Error('the model test server starts in beforeAll: use it inside a test or hook');
      const value = Reflect.get(server, prop, server);
      return typeof value === 'function' ? value.bind(server) : value;
    },
  });
}
