import { createEngine, MemoryStore } from '@llmteam/core';
import { startAnthropicTestServer } from '@llmteam/testkit';
import { expect, test } from 'vitest';
import plugin from './index.js';

test('the plugin registers its provider by name; the key comes from the engine secrets provider', async () => {
  const server = await startAnthropicTestServer();
  server.script({ text: 'hi' });
  const engine = createEngine({
    store: new MemoryStore(),
    secrets: {
      get: async (name, scope) =>
        name === 'claude_key' && scope.tenantId === 'acme' ? 'sk-acme' : undefined,
    },
    plugins: [
      {
        plugin,
        options: {
          name: 'claude',
          baseUrl: `http://127.0.0.1:${server.port}`,
          model: 'claude-test',
          apiKeySecret: 'claude_key',
        },
      },
    ],
  });
  await engine.start();
  const provider = engine.resources.llms.claude;
  expect(provider?.name).toBe('claude');
  const answer = await provider?.chat({
    model: '',
    messages: [{ role: 'user', content: 'x' }],
    tenantId: 'acme',
  });
  expect(answer?.content).toBe('hi');
  expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-acme');
  await expect(
    provider?.chat({ model: '', messages: [{ role: 'user', content: 'x' }], tenantId: 'other' }),
  ).rejects.toMatchObject({
    code: 'LLMT_E_SECRET_NOT_FOUND',
  });
  await engine.stop();
  await server.close();
});
