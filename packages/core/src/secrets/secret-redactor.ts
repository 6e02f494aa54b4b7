import { isSealedValue } from '../sealing/sealed-value.js';

/** What a scrubbed secret becomes in text that leaves the process. */
export const SECRET_PLACEHOLDER = '[secret]';

/**
 * Values shorter than this are not scrubbed: replacing every "abc" in every log line hides
 * nothing and mangles everything.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * The forms a secret takes in text: itself, JSON-escaped, URL-encoded (`%XX` and form `+`),
 * and base64 / base64url at each of the three byte alignments, so a secret inside an
 * encoded header (`Basic base64(user:password)`) is found wherever it starts.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(JSON.stringify(value).slice(1, -1));
  const url = encodeURIComponent(value);
  forms.add(url);
  forms.add(url.replace(/%20/g, '+'));
  const bytes = Buffer.from(value, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const bits = (shift + bytes.length) * 8;
    // Characters carrying only the secret's bits: not the prefix's, not the padding's.
    const part = encoded.slice(Math.ceil((shift * 8) / 6), Math.floor(bits / 6));
    // Short fragments would match random base64 (ciphertexts, ids) too often.
    if (part.length >= 2 * MIN_SECRET_LENGTH) {
      forms.add(part);
      forms.add(part.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * Scrubs resolved secret values (in every {@link secretForms form}) from text and from
 * values that leave the process: log lines, errors returned to clients, step errors,
 * events, audit entries and notifications. The engine registers each value its secrets
 * providers resolve; the gateway scrubs its logs and GraphQL errors with the same instance.
 */
export class SecretRedactor {
  private readonly values = new Set<string>();
  /** Longest first, so a form inside a longer one does not leave a tail behind. */
  private forms: string[] = [];

  /** Registers a secret value; short values (< {@link MIN_SECRET_LENGTH}) are ignored. */
  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    const all = new Set([...this.forms, ...secretForms(value)]);
    this.forms = [...all].sort((a, b) => b.length - a.length);
  }

  /** How many secret values are registered. */
  get size(): number {
    return this.values.size;
  }

  /** `text` with every registered secret form replaced by `"[secret]"`. */
  scrub(text: string): string {
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(SECRET_PLACEHOLDER);
    return out;
  }

  /**
   * A copy of `value` whose strings (values and keys, errors' messages included) hold no
   * registered secret; parts without one are shared, and with nothing registered `value`
   * itself is returned.
   */
  scrubDeep<T>(value: T): T {
    if (!this.forms.length) return value;
    const seen = new WeakMap<object, unknown>();
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.scrub(v);
      if (typeof v !== 'object' || v === null || isSealedValue(v)) return v;
      if (seen.has(v)) return seen.get(v);
      if (v instanceof Error) {
        const message = this.scrub(v.message);
        if (message === v.message) return v;
        const copy = Object.assign(Object.create(Object.getPrototypeOf(v)), v) as Error;
        Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true });
        if (v.stack) copy.stack = this.scrub(v.stack);
        return copy;
      }
      if (Array.isArray(v)) {
        seen.set(v, v);
        let copy: unknown[] | undefined;
        v.forEach((item, i) => {
          const next = walk(item);
          if (next !== item) {
            copy ??= v.slice();
            copy[i] = next;
          }
        });
        seen.set(v, copy ?? v);
        return copy ?? v;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
      seen.set(v, v);
      let copy: Record<string, unknown> | undefined;
      for (const [key, item] of Object.entries(v)) {
        const next = walk(item);
        const k = this.scrub(key);
        if (next !== item || k !== key) {
          copy ??= { ...(v as Record<string, unknown>) };
          if (k !== key) delete copy[key];
          copy[k] = next;
        }
      }
      seen.set(v, copy ?? v);
      return copy ?? v;
    };
    return walk(value) as T;
  }
}
