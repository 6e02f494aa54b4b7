import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LlmteamError } from '../errors.js';
import type { KeyProvider, WrappedKey } from './key-provider.js';
import { sealedPathSegments } from './redact-paths.js';
import { isSealedValue, type SealedValue, type Sensitivity } from './sealed-value.js';

/** What a value is sealed as: the path (JSON pointer), the sealing step and its level. */
export interface SealLabel {
  path: string;
  by: string;
  level: Sensitivity;
}

/** A run's data key: the plaintext key (in memory only) and its wrapped form (stored). */
interface DataKey extends WrappedKey {
  key: Buffer;
}

/** How many data keys (per run, and unwrapped ones) a sealer keeps in memory. */
const CACHE_SIZE = 1024;

/** A path as the JSON pointer sealed values carry (`customer.tax_id` -> `/customer/tax_id`). */
export function sealedPointer(path: string): string {
  const segments = sealedPathSegments(path);
  return segments.length
    ? `/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`
    : '';
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= CACHE_SIZE) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}

function aad(tenantId: string, label: SealLabel): Buffer {
  return Buffer.from(`${tenantId}\u0000${label.by}\u0000${label.path}\u0000${label.level}`);
}

/**
 * Seals and opens values with AES-256-GCM envelope encryption: one data key per run,
 * wrapped by the key provider's current key-encryption key and stored (with its key id)
 * beside every ciphertext. The tenant, sealing step, path and level are bound into each
 * ciphertext, so a sealed value moved to another tenant or relabelled fails to open.
 */
export class Sealer {
  private readonly runKeys = new Map<string, DataKey>();
  private readonly unwrapped = new Map<string, Buffer>();

  constructor(readonly keys: KeyProvider) {}

  /** The run's data key, made and wrapped on first use. */
  async dataKey(tenantId: string, runId: string): Promise<DataKey> {
    const id = `${tenantId}\u0000${runId}`;
    const known = this.runKeys.get(id);
    if (known) return known;
    const key = randomBytes(32);
    const wrapped = await this.keys.wrapKey(key, { tenantId });
    remember(this.unwrapped, `${tenantId}\u0000${wrapped.keyId}\u0000${wrapped.wrapped}`, key);
    return remember(this.runKeys, id, { ...wrapped, key });
  }

  /** Seals one value under a data key (see {@link dataKey}). */
  sealWith(dataKey: DataKey, tenantId: string, value: unknown, label: SealLabel): SealedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.key, iv);
    cipher.setAAD(aad(tenantId, label));
    const body = Buffer.concat([
      cipher.update(JSON.stringify(value === undefined ? null : value), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return {
      $sealed: {
        v: 1,
        kid: dataKey.keyId,
        wk: dataKey.wrapped,
        iv: iv.toString('base64url'),
        ct: body.toString('base64url'),
        path: label.path,
        by: label.by,
        level: label.level,
      },
    };
  }

  /** The plaintext of a sealed value. Throws `LLMT_E_SEALED_TAMPERED` when it does not authenticate. */
  async open(sealed: SealedValue, tenantId: string): Promise<unknown> {
    const s = sealed.$sealed;
    const id = `${tenantId}\u0000${s.kid}\u0000${s.wk}`;
    const key =
      this.unwrapped.get(id) ??
      remember(this.unwrapped, id, await this.keys.unwrapKey({ keyId: s.kid, wrapped: s.wk }, { tenantId }));
    const body = Buffer.from(s.ct, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64url'));
    decipher.setAAD(aad(tenantId, s));
    decipher.setAuthTag(body.subarray(body.length - 16));
    let text: string;
    try {
      text = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      throw new LlmteamError(
        'LLMT_E_SEALED_TAMPERED',
        `a value sealed at "${s.path || '/'}" by ${s.by ? `step "${s.by}"` : 'the run input'} does not authenticate: it was altered, moved or belongs to another tenant`,
        { cause },
      );
    }
    return JSON.parse(text);
  }

  /**
   * A copy of `value` with the value at each of `paths` (dotted, JSON pointers, `*`
   * wildcards, array indexes; `""` for the whole value) sealed; values already sealed stay
   * as they are, and parts not on a path are shared.
   */
  sealPaths(
    value: unknown,
    paths: readonly string[],
    dataKey: DataKey,
    tenantId: string,
    by: string,
    level: Sensitivity,
  ): unknown {
    let current = value;
    for (const path of paths) {
      const label = { path: sealedPointer(path), by, level };
      current = sealAt(current, sealedPathSegments(path), (leaf) =>
        leaf === undefined || isSealedValue(leaf) ? leaf : this.sealWith(dataKey, tenantId, leaf, label),
      );
    }
    return current;
  }
}

function sealAt(value: unknown, segments: readonly string[], seal: (leaf: unknown) => unknown): unknown {
  if (segments.length === 0) return seal(value);
  if (typeof value !== 'object' || value === null || isSealedValue(value)) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(value)) {
    if (head === '*') return value.map((item) => sealAt(item, rest, seal));
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index >= value.length) return value;
    const copy = [...value];
    copy[index] = sealAt(copy[index], rest, seal);
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  if (keys.length === 0) return value;
  const copy: Record<string, unknown> = { ...record };
  for (const key of keys) copy[key] = sealAt(record[key], rest, seal);
  return copy;
}

/** The values found at `paths` inside `value` (what sealing those paths would encrypt). */
export function valuesAtPaths(value: unknown, paths: readonly string[]): unknown[] {
  const out: unknown[] = [];
  for (const path of paths)
    sealAt(value, sealedPathSegments(path), (leaf) => {
      if (leaf !== undefined && !isSealedValue(leaf)) out.push(leaf);
      return leaf;
    });
  return out;
}
