import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { secretsFrom } from './secrets-config.js';

describe('the secrets section of the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-secrets-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, config: unknown) => {
    const d = mkdtempSync(join(dir, `${name}-`));
    writeFileSync(join(d, 'llmteam.config.json'), JSON.stringify(config));
    return d;
  };

  it('reads secrets from a mounted folder relative to the config file', async () => {
    const d = write('file', { secrets: { provider: 'file', dir: 'mounted' } });
    mkdirSync(join(d, 'mounted'));
    writeFileSync(join(d, 'mounted', 'erp_token'), 'erp-123\n');
    const loaded = await loadConfig({ cwd: d });
    const provider = secretsFrom(loaded.config.secrets, loaded.dir);
    expect(typeof provider === 'object' && (await provider.get('erp_token', { tenantId: 'default' }))).toBe(
      'erp-123',
    );
  });

  it('keeps the environment by default and passes a plugin provider by name', async () => {
    expect(secretsFrom(undefined, dir)).toBeUndefined();
    expect(secretsFrom({ provider: 'env' }, dir)).toBeUndefined();
    expect(secretsFrom({ provider: 'vault' }, dir)).toBe('vault');
  });

  it.each([
    [{ provider: 'file' }, 'secrets.dir is required'],
    [{ provider: 'env', dir: 'x' }, 'secrets.dir applies only'],
    [{ provider: 3 }, 'secrets.provider must be'],
    [{ provider: 'env', path: 'x' }, 'unknown key "path"'],
  ])('refuses %j naming the field', async (secrets, message) => {
    await expect(loadConfig({ cwd: write('bad', { secrets }) })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringContaining(message),
    });
  });
});
