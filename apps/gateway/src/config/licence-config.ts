import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Licence, verifyLicence } from '@llmteam/core';
import { GatewayError } from '../errors.js';

/**
 * The config's `licence` section: `{ "file": "llmteam.licence", "publicKeyFile":
 * "licence-public.pem" }` (paths relative to the config file), or the public key inline as
 * `publicKey` (PEM). The environment wins: `LLMTEAM_LICENCE_FILE` (a path) and
 * `LLMTEAM_LICENCE_PUBLIC_KEY` (PEM).
 */
export interface LicenceConfig {
  /** The licence file written by `llmteam licence issue`. */
  file?: string;
  /** The issuer's Ed25519 public key (PEM file) the licence must be signed by. */
  publicKeyFile?: string;
  /** The issuer's Ed25519 public key, as PEM text (instead of `publicKeyFile`). */
  publicKey?: string;
}

const LICENCE_KEYS = ['file', 'publicKeyFile', 'publicKey'];

/** Refuses a `licence` section of the wrong shape, naming the key. */
export function checkLicenceConfig(value: unknown, file: string): void {
  const fail = (what: string): never => {
    throw new GatewayError('LLMT_E_GW_CONFIG', `${file}: licence${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(' must be { "file": "llmteam.licence", "publicKeyFile": "licence-public.pem" }');
  const licence = value as Record<string, unknown>;
  const unknown = Object.keys(licence).filter((k) => !LICENCE_KEYS.includes(k));
  if (unknown.length) fail(`: unknown key "${unknown[0]}"; known keys: ${LICENCE_KEYS.join(', ')}`);
  for (const key of LICENCE_KEYS)
    if (licence[key] !== undefined && (typeof licence[key] !== 'string' || licence[key] === ''))
      fail(`.${key} must be a non-empty string`);
  if (licence.publicKey !== undefined && licence.publicKeyFile !== undefined)
    fail(': give publicKey or publicKeyFile, not both');
}

/** A verified licence and where it was read from. */
export interface LoadedLicence {
  licence: Licence;
  /** The licence file's path. */
  source: string;
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message})`,
      { cause: error },
    );
  }
}

/** The public key a licence is checked with: `LLMTEAM_LICENCE_PUBLIC_KEY`, else the config's. */
export function licencePublicKey(
  config: LicenceConfig | undefined,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.LLMTEAM_LICENCE_PUBLIC_KEY) return env.LLMTEAM_LICENCE_PUBLIC_KEY;
  if (config?.publicKey) return config.publicKey;
  if (config?.publicKeyFile) return read(resolve(dir, config.publicKeyFile), 'licence.publicKeyFile');
  return undefined;
}

/**
 * Reads and verifies the configured licence at `now` (the engine clock). Undefined when no
 * licence is configured: tenants then keep their own tiers and `default` is `enterprise`.
 * @throws LicenceError (`LLMT_E_LICENCE_INVALID`) for a malformed, unsigned, altered,
 *   expired or unknown-tier licence; GatewayError (`LLMT_E_GW_CONFIG`) when the file or
 *   the public key cannot be read or only one of them is configured.
 */
export function licenceFrom(
  config: LicenceConfig | undefined,
  dir: string,
  now: number,
  env: NodeJS.ProcessEnv = process.env,
): LoadedLicence | undefined {
  const file = env.LLMTEAM_LICENCE_FILE || (config?.file ? resolve(dir, config.file) : undefined);
  const publicKey = licencePublicKey(config, dir, env);
  if (!file && !publicKey) return undefined;
  if (!file)
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      'a licence public key is configured but no licence file: set licence.file in the config or LLMTEAM_LICENCE_FILE',
    );
  if (!publicKey)
    throw new GatewayError(
      'LLMT_E_GW_CONFIG',
      `licence file ${file} is configured without the public key to check it: set licence.publicKeyFile (or publicKey) in the config or LLMTEAM_LICENCE_PUBLIC_KEY`,
    );
  const source = resolve(file);
  const text = read(source, 'licence.file');
  return { licence: verifyLicence(text, publicKey, { now, source }), source };
}

/** One line describing a licence: who, tier, expiry (for the banner and `licence verify`). */
export function describeLicence(licence: Licence): string {
  const limits = Object.entries(licence.limits ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `${licence.licensee}${licence.licenceId ? ` (${licence.licenceId})` : ''}`,
    `tier ${licence.tier}`,
    `expires on ${new Date(Date.parse(licence.expiresAt)).toISOString()}`,
    ...(limits ? [`limits ${limits}`] : []),
    ...(licence.features ? [`features ${licence.features.join(', ') || 'none'}`] : []),
    ...(licence.maxTenants !== undefined ? [`at most ${licence.maxTenants} tenants`] : []),
  ].join('; ');
}
