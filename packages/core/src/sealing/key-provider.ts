import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { LlmteamError } from '../errors.js';

/** Where a key-encryption key is used: the tenant whose data key it wraps. */
export interface KeyScope {
  tenantId: string;
}

/** A data key wrapped by a key-encryption key, with the id of that key. */
export interface WrappedKey {
  /** Id of the key-encryption key; stored beside every ciphertext so rotation never rewrites history. */
  keyId: string;
  /** The wrapped data key (base64url). */
  wrapped: string;
}

/**
 * Wraps and unwraps the data keys sealed values are encrypted with (envelope encryption).
 * A key management service plugs in here (register it with `api.registerKeyProvider`): the
 * key-encryption key never has to leave it. `unwrapKey` must accept every key id it ever
 * returned, so values sealed before a rotation stay readable.
 */
export interface KeyProvider {
  /** Name shown in errors and logs (`static`, `development`, `vault`, ...). */
  readonly name: string;
  /** True for the built-in development key: fine for `pnpm start`, never for production. */
  readonly development?: boolean;
  /** Wraps a fresh 32-byte data key with the current key-encryption key. */
  wrapKey(dataKey: Buffer, scope: KeyScope): WrappedKey | Promise<WrappedKey>;
  /** Unwraps a data key wrapped under `keyId` (the current key or any earlier one). */
  unwrapKey(key: WrappedKey, scope: KeyScope): Buffer | Promise<Buffer>;
}

/** Options of {@link staticKeyProvider}. */
export interface StaticKeyProviderOptions {
  /** Key-encryption keys by id: 32 bytes each, as a Buffer or base64 (or base64url). */
  keys: Record<string, string | Buffer>;
  /** Id of the key new data keys are wrapped with; older ids stay readable. @default the last id of `keys` */
  current?: string;
  /** @default "static" */
  name?: string;
}

function keyError(message: string): LlmteamError {
  return new LlmteamError('LLMT_E_SEALING_KEY', message);
}

function toKey(id: string, value: string | Buffer): Buffer {
  const key = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
  if (key.length !== 32) {
    throw keyError(
      `sealing key "${id}" is ${key.length} bytes; a key-encryption key is 32 bytes (base64 of \`openssl rand 32\`)`,
    );
  }
  return key;
}

/**
 * Key-encryption keys held in memory (from a key file, an environment variable or code),
 * wrapping data keys with AES-256-GCM. Rotate by adding a key and making it `current`; keep
 * the old ones, so what they sealed stays readable.
 */
export function staticKeyProvider(
  options: StaticKeyProviderOptions,
): KeyProvider & { readonly current: string } {
  const ids = Object.keys(options.keys ?? {});
  if (!ids.length) throw keyError('a sealing key provider needs at least one key in `keys`');
  const keys = new Map(ids.map((id) => [id, toKey(id, options.keys[id]!)]));
  const current = options.current ?? ids[ids.length - 1]!;
  if (!keys.has(current))
    throw keyError(`sealing key "${current}" (current) is not among the keys: ${ids.join(', ')}`);
  return {
    name: options.name ?? 'static',
    current,
    wrapKey(dataKey, scope) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.get(current)!, iv);
      cipher.setAAD(Buffer.from(`${scope.tenantId}\u0000${current}`));
      const body = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
      return { keyId: current, wrapped: body.toString('base64url') };
    },
    unwrapKey({ keyId, wrapped }, scope) {
      const kek = keys.get(keyId);
      if (!kek) {
        throw keyError(
          `a sealed value names key "${keyId}", which the key provider "${options.name ?? 'static'}" does not hold; keep retired keys in the key file after a rotation`,
        );
      }
      const body = Buffer.from(wrapped, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', kek, body.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${scope.tenantId}\u0000${keyId}`));
      decipher.setAuthTag(body.subarray(body.length - 16));
      try {
        return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
      } catch (cause) {
        throw new LlmteamError(
          'LLMT_E_SEALED_TAMPERED',
          `a data key wrapped under "${keyId}" does not authenticate: it was altered or belongs to another tenant`,
          { cause },
        );
      }
    },
  };
}

/** Id of the built-in development key. */
export const DEVELOPMENT_KEY_ID = 'development-only';

/**
 * A fixed, publicly known key for local development (`pnpm start` with no key configured).
 * Anything it seals can be read by anyone with this source code: configure a real key
 * (`sealing.key_file` or `LLMTEAM_SEALING_KEYS`) before storing real data.
 */
export function developmentKeyProvider(): KeyProvider {
  const key = createHash('sha256').update('llmteam development sealing key: not for production').digest();
  return {
    ...staticKeyProvider({ name: 'development', keys: { [DEVELOPMENT_KEY_ID]: key } }),
    development: true,
  };
}

/**
 * Parses key material as a key file or an environment variable holds it: JSON `{ "current":
 * "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }`, or a single base64 key (id
 * `default`). `where` names the source in errors.
 */
export function parseSealingKeys(text: string, where: string): StaticKeyProviderOptions {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { keys: { default: trimmed } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (cause) {
    throw new LlmteamError('LLMT_E_SEALING_KEY', `${where} is not valid JSON: ${(cause as Error).message}`);
  }
  const p = parsed as { keys?: unknown; current?: unknown };
  if (typeof p.keys !== 'object' || p.keys === null || Array.isArray(p.keys)) {
    throw keyError(`${where} must hold { "current": "k1", "keys": { "k1": "<base64 of 32 bytes>" } }`);
  }
  for (const [id, value] of Object.entries(p.keys)) {
    if (typeof value !== 'string') throw keyError(`${where}: keys.${id} must be a base64 string of 32 bytes`);
  }
  if (p.current !== undefined && typeof p.current !== 'string')
    throw keyError(`${where}: current must be the id of one of the keys`);
  return { keys: p.keys as Record<string, string>, current: p.current as string | undefined };
}
