import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@llmteam/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from './config/create-runtime.js';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './logger.js';
import { startTestGateway } from './test-support.js';

describe('actions in the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-actions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('declares actions from the config and lists them with type, limits and live state', async () => {
    writeFileSync(
      join(dir, 'llmteam.config.json'),
      JSON.stringify({
        actions: {
          notify_erp: {
            type: 'function',
            description: 'tells the ERP',
            timeout: 'PT10S',
            retry_count: 3,
            rate_limit: { requests_per_minute: 100, burst_size: 10 },
            circuit_breaker: { failure_threshold: 5, open_timeout: 'PT30S' },
          },
        },
      }),
    );
    const logger = createLogger({ level: 'silent' });
    const runtime = await createRuntime({
      loaded: await loadConfig({ cwd: dir }),
      logger,
      store: new MemoryStore(),
    });
    runtime.engine.actions.defineFunction('notify_erp', () => ({ ok: true }));
    const t = await startTestGateway({ engine: runtime.engine, store: runtime.store });
    try {
      const viewer = await t.key('default', ['viewer']);
      const res = await t.gql(
        viewer,
        '{ actions { name type description source timeoutMs retryCount rateLimit circuitBreaker circuitState inFlight problems } }',
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.actions).toEqual([
        {
          name: 'notify_erp',
          type: 'function',
          description: 'tells the ERP',
          source: 'config',
          timeoutMs: 10_000,
          retryCount: 3,
          rateLimit: { requests_per_minute: 100, burst_size: 10 },
          circuitBreaker: { failure_threshold: 5, open_timeout: 'PT30S' },
          circuitState: 'closed',
          inFlight: 0,
          problems: null,
        },
      ]);
      expect((await t.gql(undefined, '{ actions { name } }')).body.errors?.[0]).toBeDefined();
    } finally {
      await t.close();
      await runtime.close();
    }
  });

  it('refuses an actions section that is not a map of typed actions', async () => {
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify({ actions: { x: { url: 'http://a' } } }));
    await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringContaining('actions.x'),
    });
  });
});
