import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isLlmteamError } from '../errors.js';
import { fileSecrets } from './file-secrets.js';

const root = mkdtempSync(join(tmpdir(), 'llmteam-file-secrets-'));
const dir = join(root, 'secrets');
mkdirSync(dir);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const scope = { tenantId: 'default' };

describe('file secrets provider', () => {
  test('reads one file per secret, trimming one trailing newline', async () => {
    writeFileSync(join(dir, 'erp_token'), 'tok-123\n');
    writeFileSync(join(dir, 'crlf.key'), 'line one\nline two\r\n');
    writeFileSync(join(dir, 'spaces'), '  padded  \n\n');
    const secrets = fileSecrets({ dir });
    expect(await secrets.get('erp_token', scope)).toBe('tok-123');
    expect(await secrets.get('crlf.key', scope)).toBe('line one\nline two');
    // Only one newline goes: the rest of the content is the secret.
    expect(await secrets.get('spaces', scope)).toBe('  padded  \n');
  });

  test('re-reads the file on every resolve, so a rotated secret is used at once', async () => {
    const secrets = fileSecrets({ dir });
    writeFileSync(join(dir, 'rotating'), 'first\n');
    expect(await secrets.get('rotating', scope)).toBe('first');
    writeFileSync(join(dir, 'rotating'), 'second\n');
    expect(await secrets.get('rotating', scope)).toBe('second');
  });

  test('follows links inside the folder, as Kubernetes mounts them (..data)', async () => {
    const data = join(dir, '..2026_12_02');
    mkdirSync(data);
    writeFileSync(join(data, 'kube_token'), 'from-kube\n');
    symlinkSync('..2026_12_02', join(dir, '..data'));
    symlinkSync(join('..data', 'kube_token'), join(dir, 'kube_token'));
    expect(await fileSecrets({ dir }).get('kube_token', scope)).toBe('from-kube');
  });

  test('a missing file is no value; a link out of the folder counts as missing', async () => {
    writeFileSync(join(root, 'outside'), 'not-a-secret\n');
    symlinkSync(join(root, 'outside'), join(dir, 'escape'));
    const secrets = fileSecrets({ dir });
    expect(await secrets.get('absent', scope)).toBeUndefined();
    expect(await secrets.get('escape', scope)).toBeUndefined();
    expect(secrets.describe?.('absent')).toBe(`file ${join(dir, 'absent')}`);
  });

  test.each(['../outside', 'a/b', '..', '.hidden', '', 'x\\y', '/etc/passwd'])(
    'refuses the name %j with LLMT_E_SECRET_NAME_INVALID',
    async (name) => {
      const error = await fileSecrets({ dir })
        .get(name, scope)
        .catch((e: unknown) => e);
      expect(isLlmteamError(error) && error.code).toBe('LLMT_E_SECRET_NAME_INVALID');
      expect((error as Error).message).toContain(`"${name}"`);
    },
  );

  test('a folder that does not exist is a config error naming the folder', () => {
    const missing = join(root, 'nope');
    expect(() => fileSecrets({ dir: missing })).toThrow(
      expect.objectContaining({ code: 'LLMT_E_SECRETS_CONFIG', message: expect.stringContaining(missing) }),
    );
  });
});
