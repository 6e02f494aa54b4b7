import { SEALED_PLACEHOLDER } from './redact-paths.js';

/** How sensitive a step's data is (`sensitivity` beside a step's `config`). */
export type Sensitivity = 'public' | 'internal' | 'confidential' | 'restricted';

/** The levels of {@link Sensitivity}, least sensitive first. */
export const SENSITIVITY_LEVELS: readonly Sensitivity[] = [
  'public',
  'internal',
  'confidential',
  'restricted',
];

/**
 * A sealed value as it is stored in place of the plaintext: AES-256-GCM ciphertext under a
 * data key that is itself wrapped by a key-encryption key (`kid`), with the path it was
 * sealed at and the step that sealed it (`""` for the run input).
 */
export interface SealedValue {
  $sealed: {
    v: 1;
    /** Id of the key-encryption key that wrapped the data key. */
    kid: string;
    /** The wrapped data key (base64url). */
    wk: string;
    /** Nonce (base64url, 12 bytes). */
    iv: string;
    /** Ciphertext and authentication tag (base64url). */
    ct: string;
    /** The sealed path as a JSON pointer (`/customer/tax_id`; `""` for a whole value). */
    path: string;
    /** The step that sealed it; `""` for the run input. */
    by: string;
    level: Sensitivity;
  };
}

/** True for a sealed value ({@link SealedValue}). */
export function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null) return false;
  const inner = (value as { $sealed?: unknown }).$sealed;
  return typeof inner === 'object' && inner !== null && typeof (inner as { ct?: unknown }).ct === 'string';
}

/**
 * A copy of `value` with `fn(sealed)` in place of every sealed value; parts without one are
 * shared, and `value` itself comes back when there is none.
 */
export function mapSealed(value: unknown, fn: (sealed: SealedValue) => unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isSealedValue(value)) return fn(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const next = mapSealed(item, fn);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    const next = mapSealed(item, fn);
    if (next !== item) {
      copy ??= { ...record };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/** Every sealed value inside `value`, in document order. */
export function collectSealed(value: unknown, out: SealedValue[] = []): SealedValue[] {
  if (typeof value !== 'object' || value === null) return out;
  if (isSealedValue(value)) {
    out.push(value);
    return out;
  }
  if (Array.isArray(value)) for (const item of value) collectSealed(item, out);
  else
    for (const key in value as Record<string, unknown>)
      collectSealed((value as Record<string, unknown>)[key], out);
  return out;
}

/**
 * `value` with every sealed value shown as `"[sealed]"`: what every path out of the engine
 * (GraphQL, notifications, exports) shows instead of ciphertext.
 */
export function redactSealed<T>(value: T): T {
  return mapSealed(value, () => SEALED_PLACEHOLDER) as T;
}

/** Strings worth scrubbing from free text: shorter ones would blank out ordinary words and numbers. */
export const MIN_SCRUB_LENGTH = 4;

/** The strings (and numbers) inside a plaintext that free text must not carry. */
export function scrubbableStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.length >= MIN_SCRUB_LENGTH) out.push(value);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (text.length >= MIN_SCRUB_LENGTH) out.push(text);
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value as Record<string, unknown>)
      scrubbableStrings((value as Record<string, unknown>)[key], out);
  }
  return out;
}

/** `text` with every occurrence of each of `secrets` replaced by `"[sealed]"`. */
export function scrubText(
  text: string,
  secrets: readonly string[],
  placeholder = SEALED_PLACEHOLDER,
): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(placeholder);
  return out;
}

/**
 * A copy of `value` whose strings (values and keys) no longer contain any of `secrets`;
 * parts without one are shared.
 */
export function scrubDeep<T>(value: T, secrets: readonly string[], placeholder = SEALED_PLACEHOLDER): T {
  if (!secrets.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v, secrets, placeholder);
    if (typeof v !== 'object' || v === null || isSealedValue(v)) return v;
    if (Array.isArray(v)) {
      let copy: unknown[] | undefined;
      v.forEach((item, i) => {
        const next = walk(item);
        if (next !== item) {
          copy ??= v.slice();
          copy[i] = next;
        }
      });
      return copy ?? v;
    }
    if (v instanceof Error) return v;
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(v)) {
      const next = walk(item);
      const k = scrubText(key, secrets, placeholder);
      if (next !== item || k !== key) {
        copy ??= { ...(v as Record<string, unknown>) };
        if (k !== key) delete copy[key];
        copy[k] = next;
      }
    }
    return copy ?? v;
  };
  return walk(value) as T;
}
