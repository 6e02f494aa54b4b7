import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  developmentKeyProvider,
  type KeyProvider,
  LlmteamError,
  parseSealingKeys,
  staticKeyProvider,
} from '@llmteam/core';
import { GatewayError } from '../errors.js';

/** The config's `sealing` section: where the key-encryption keys of sealed fields come from. */
export interface SealingConfig {
  /**
   * A JSON file `{ "current": "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }`
   * (relative to the config file); rotate by adding a key and making it current.
   */
  key_file?: string;
  /** The environment variable holding the same JSON, or one base64 key. @default "LLMTEAM_SEALING_KEYS" */
  key_env?: string;
}

/** The environment variable sealing keys are read from when the config names none. */
export const DEFAULT_SEALING_KEY_ENV = 'LLMTEAM_SEALING_KEYS';

/** Checks the `sealing` section's shape. */
export function checkSealingConfig(value: unknown, file: string): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => ['key_file', 'key_env'].includes(k) && typeof v === 'string');
  if (!ok)
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${file}: sealing must be { "key_file": "sealing-keys.json" } or { "key_env": "LLMTEAM_SEALING_KEYS" }`,
    );
}

/**
 * The key provider of sealed fields: the config's key file, else the environment variable,
 * else (outside `NODE_ENV=production`) the built-in development key (the engine warns when
 * it first seals with it). In
 * production with no key, none: a run of a segment that seals fields is refused.
 */
export function sealingKeysFrom(
  config: SealingConfig | undefined,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): KeyProvider | undefined {
  const fail = (where: string, cause: unknown): never => {
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `sealing keys from ${where}: ${cause instanceof LlmteamError || cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  };
  if (config?.key_file) {
    const file = resolve(dir, config.key_file);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      fail(`key_file ${config.key_file}`, cause);
    }
    try {
      return staticKeyProvider({ ...parseSealingKeys(text, config.key_file), name: 'key-file' });
    } catch (cause) {
      return fail(`key_file ${config.key_file}`, cause);
    }
  }
  const name = config?.key_env ?? DEFAULT_SEALING_KEY_ENV;
  const text = env[name];
  if (text) {
    try {
      return staticKeyProvider({ ...parseSealingKeys(text, name), name: 'environment' });
    } catch (cause) {
      return fail(`environment variable ${name}`, cause);
    }
  }
  if (config?.key_env) fail(`environment variable ${name}`, 'it is not set');
  if (env.NODE_ENV === 'production') return undefined;
  // The engine warns when it first seals with it.
  return developmentKeyProvider();
}
