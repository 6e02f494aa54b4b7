import { statSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { SecretsProvider } from '../catalog/types.js';
import { LlmteamError } from '../errors.js';

/** Options of {@link fileSecrets}. */
export interface FileSecretsOptions {
  /** The mounted folder holding one file per secret (Kubernetes / Docker secrets). */
  dir: string;
}

/** Secret names a file provider accepts: a plain file name, never a path. */
const SECRET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Secrets from a mounted folder, one file per secret as Kubernetes and Docker mount them:
 * secret `erp_token` is the content of `<dir>/erp_token`, one trailing newline (`\n` or
 * `\r\n`) removed. The file is read on every resolve, so a rotated secret (Kubernetes swaps
 * the folder's `..data` link) is used from the next call on, with no watcher and no restart.
 * Names with path separators or a leading `.` are refused (`LLMT_E_SECRET_NAME_INVALID`),
 * and a file whose real path lies outside the folder counts as missing.
 */
export function fileSecrets(options: FileSecretsOptions): SecretsProvider {
  const dir = resolve(options.dir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir)
    throw new LlmteamError(
      'LLMT_E_SECRETS_CONFIG',
      `secrets.dir: the secrets folder ${dir} does not exist or is not a folder; mount the secrets there or point "dir" at the folder that holds them`,
      { details: { field: 'secrets.dir', dir } },
    );
  const fileOf = (name: string): string => {
    if (!SECRET_NAME.test(name))
      throw new LlmteamError(
        'LLMT_E_SECRET_NAME_INVALID',
        `secret name "${name}" cannot name a file in the secrets folder: use letters, digits, ".", "_" and "-", not starting with "."`,
        { retryable: false, details: { secret: name, provider: 'file' } },
      );
    return join(dir, name);
  };
  return {
    name: 'file',
    async get(name) {
      const file = fileOf(name);
      try {
        // Links inside the folder (Kubernetes' `..data/`) are fine; a link out of it is not.
        const [real, root] = await Promise.all([realpath(file), realpath(dir)]);
        if (!(real === root || real.startsWith(root + sep))) return undefined;
        if (!(await stat(real)).isFile()) return undefined;
        const text = await readFile(real, 'utf8');
        return text.replace(/\r?\n$/, '');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new LlmteamError(
          'LLMT_E_SECRET_NOT_FOUND',
          `secret "${name}" (file provider): ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); make it readable by the gateway's user`,
          { cause: error, retryable: true, details: { secret: name, provider: 'file' } },
        );
      }
    },
    describe: (name) => `file ${join(dir, name)}`,
  };
}
