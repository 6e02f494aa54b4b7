import { resolve } from 'node:path';
import { fileSecrets, type SecretsProvider } from '@llmteam/core';
import { GatewayError } from '../errors.js';

/**
 * The config's `secrets` section: `{ "provider": "env" }` (the default, `LLMTEAM_SECRET_<NAME>`),
 * `{ "provider": "file", "dir": "/run/secrets" }` (a mounted folder, one file per secret), or
 * the name of a provider a loaded plugin registers (`{ "provider": "vault" }`).
 */
export interface SecretsConfig {
  /** @default "env" */
  provider?: string;
  /** The secrets folder of the `file` provider, relative to the config file. */
  dir?: string;
}

/** Refuses a malformed `secrets` section, naming the field and the fix. */
export function checkSecretsConfig(value: unknown, file: string): void {
  const v = value as Record<string, unknown> | null;
  if (typeof value !== 'object' || v === null || Array.isArray(value))
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: secrets must be { "provider": "env" | "file" | "<plugin provider>" }`,
    );
  const unknown = Object.keys(v).filter((k) => k !== 'provider' && k !== 'dir');
  if (unknown.length)
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: secrets: unknown key "${unknown[0]}"; known keys: provider, dir`,
    );
  if (v.provider !== undefined && (typeof v.provider !== 'string' || !v.provider))
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: secrets.provider must be "env", "file" or a plugin provider's name`,
    );
  if ((v.provider === 'file') !== (typeof v.dir === 'string'))
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      v.provider === 'file'
        ? `${file}: secrets.dir is required with the file provider: the mounted folder, e.g. "/run/secrets"`
        : `${file}: secrets.dir applies only to { "provider": "file" }`,
    );
}

/** The engine's `secrets` option for the section: a provider, a plugin provider's name, or the default. */
export function secretsFrom(
  config: SecretsConfig | undefined,
  dir: string,
): SecretsProvider | string | undefined {
  const provider = config?.provider ?? 'env';
  if (provider === 'env') return undefined;
  if (provider === 'file') return fileSecrets({ dir: resolve(dir, config!.dir!) });
  return provider;
}
