import { createHash } from 'node:crypto';

/**
 * A sub-value (an object, array or string anywhere inside a run input, a step's ports or
 * its state) whose JSON is at least this long is kept once per run in `run_values`,
 * addressed by the SHA-256 of what is stored, and referred to by that hash. So a 1 MB
 * payload that every step of a run passes on, or a conversation that grows a message per
 * turn, is stored once: each commit writes only the parts that changed.
 */
export const SHARED_VALUE_MIN_LENGTH = 1024;

/**
 * Marks a column or a stored value that refers to shared values: `#[inline, refs]`, where
 * `inline` is the value with `null` at each referred place and `refs` lists
 * `[path, hash]` (a path is the keys and indexes from the value down to the place). No
 * JSON text starts with `#`, so plain JSON (what was written before) reads as it is.
 */
const REFS = '#';

/** A place inside a value that holds a shared value. */
type Ref = [path: Array<string | number>, hash: string];

interface Encoded {
  json: string;
  refs: Ref[];
}

/**
 * Encodes a value for a JSON column: sub-values of {@link SHARED_VALUE_MIN_LENGTH} or more
 * go into `values` (hash to stored text), each bottom-up, so a large value made of large
 * parts is stored as its parts. The value itself (the root) stays in the column.
 */
export function encodeValue(value: unknown, values: Map<string, string>): string {
  const { json, refs } = encodeNode(value, values);
  return refs.length ? `${REFS}[${json},${JSON.stringify(refs)}]` : json;
}

function encodeNode(value: unknown, values: Map<string, string>): Encoded {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value) ?? 'null';
    return typeof value === 'string' && json.length >= SHARED_VALUE_MIN_LENGTH
      ? share(json, [], values)
      : { json, refs: [] };
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return encodeNode((value as { toJSON(): unknown }).toJSON(), values);
  const refs: Ref[] = [];
  let json: string;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const child = value[i] === undefined || typeof value[i] === 'function' ? null : value[i];
      const encoded = encodeNode(child, values);
      parts.push(encoded.json);
      for (const [path, hash] of encoded.refs) refs.push([[i, ...path], hash]);
    }
    json = `[${parts.join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
      const encoded = encodeNode(child, values);
      parts.push(`${JSON.stringify(key)}:${encoded.json}`);
      for (const [path, hash] of encoded.refs) refs.push([[key, ...path], hash]);
    }
    json = `{${parts.join(',')}}`;
  }
  // Size counts the node as stored: parts already shared count as their reference.
  const size = json.length + refs.length * 80;
  if (size < SHARED_VALUE_MIN_LENGTH) return { json, refs };
  return share(json, refs, values);
}

/** Stores a node once, by the hash of its stored text; the parent keeps a reference. */
function share(json: string, refs: Ref[], values: Map<string, string>): Encoded {
  const body = refs.length ? `${REFS}[${json},${JSON.stringify(refs)}]` : json;
  const hash = createHash('sha256').update(body).digest('hex');
  values.set(hash, body);
  return { json: 'null', refs: [[[], hash]] };
}

/** True for a column (or stored value) that refers to shared values, in either format. */
export function refersToShared(text: unknown): boolean {
  return typeof text === 'string' && (text.startsWith(REFS) || text.startsWith('['));
}

/** How a decoder reads JSON text and finds stored values, with its own typed errors. */
export interface ValueSource {
  parse(text: string): unknown;
  /** The stored text of a shared value; throws when it is missing. */
  body(hash: string): string;
}

/**
 * Decodes what {@link encodeValue} wrote (or plain JSON). `memo` keeps decoded shared
 * values by hash for one read, so a value many steps refer to is parsed once (the records
 * returned then share it: callers may not mutate records).
 */
export function decodeValue(text: string, source: ValueSource, memo: Map<string, unknown>): unknown {
  if (!text.startsWith(REFS)) return source.parse(text);
  const [inline, refs] = source.parse(text.slice(REFS.length)) as [unknown, Ref[]];
  let root = inline;
  for (const [path, hash] of refs) {
    let value = memo.get(hash);
    if (value === undefined) {
      value = decodeValue(source.body(hash), source, memo);
      memo.set(hash, value);
    }
    if (path.length === 0) {
      root = value;
      continue;
    }
    let node = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]] as Record<string | number, unknown>;
    node[path[path.length - 1]] = value;
  }
  return root;
}
