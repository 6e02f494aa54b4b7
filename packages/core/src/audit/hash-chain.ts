import type { AuditDraft, AuditRecord, AuditRow } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';

/** `prevHash` of a tenant's first audit entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * The hash format new entries are chained with. Every format since 2 hashes every field of
 * the entry (its time, sequence number, previous hash and any field a later release adds),
 * so no stored column can change without breaking the entry's hash. Format 3 hashes the
 * entry in the form a store keeps it, its columns and its body text (see
 * {@link auditEntryBody}), so a log is verified from its stored text without decoding and
 * re-encoding each entry. Entries of formats 1 and 2, written by earlier releases, still
 * verify under their own format.
 */
export const AUDIT_HASH_FORMAT = 3;

/**
 * The hash of an audit entry under its own format (`hashFormat`, absent for format 1):
 * what `hash` must equal. Format 3 is the SHA-256 of {@link auditEntryMessage}; format 2
 * the SHA-256 of the canonical JSON of every field but `hash` itself.
 */
export function auditEntryHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  if (record.hashFormat === undefined) {
    const body = {
      tenantId: record.tenantId,
      seq: record.seq,
      action: record.action,
      actor: record.actor,
      runId: record.runId,
      target: record.target,
      data: record.data,
      timestamp: record.timestamp,
    };
    return sha256(record.prevHash + canonicalJson(body));
  }
  if (record.hashFormat === 3)
    return sha256(
      auditEntryMessage(
        JSON.stringify(record.tenantId),
        record.seq,
        record.timestamp,
        auditEntryBody(record),
      ),
    );
  return sha256(formatTwoBody(record));
}

/**
 * What a format-3 hash covers: the JSON array `[tenantId, seq, timestamp, body]`, with the
 * body's text as it is stored. `quotedTenant` is `JSON.stringify(tenantId)`, computed once
 * per log by a verifier.
 */
export function auditEntryMessage(
  quotedTenant: string,
  seq: number,
  timestamp: string,
  body: string,
): string {
  return `[${quotedTenant},${seq},${JSON.stringify(timestamp)},${body}]`;
}

/** The fields of an entry in sorted key order, as {@link canonicalJson} orders them. */
const ENTRY_FIELDS = [
  'action',
  'actor',
  'data',
  'hashFormat',
  'prevHash',
  'runId',
  'seq',
  'target',
  'tenantId',
  'timestamp',
] as const;
const KNOWN_FIELDS = new Set<string>([...ENTRY_FIELDS, 'hash']);
/** Fields a format-3 body holds after `prevHash`, sorted: the others are its columns. */
const BODY_FIELDS = ['action', 'actor', 'data', 'hashFormat', 'runId', 'target'] as const;
/** Fields a format-3 body leaves out: the store's columns, and `prevHash`, which leads it. */
const COLUMN_FIELDS = new Set<string>(['tenantId', 'seq', 'timestamp', 'hash', 'prevHash']);
/** How every format-3 body starts, the previous entry's hash following. */
export const AUDIT_BODY_PREFIX = '{"prevHash":';

/**
 * The body text of a format-3 entry, as a store keeps it beside its tenant, seq, time and
 * hash columns: a JSON object whose first member is `prevHash` (so a verifier checks the
 * link without decoding), then every other field but those columns in sorted key order,
 * values in canonical JSON.
 */
export function auditEntryBody(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const fields = record as unknown as Record<string, unknown>;
  let out = AUDIT_BODY_PREFIX + JSON.stringify(record.prevHash);
  let known = true;
  for (const key in fields) {
    if (!KNOWN_FIELDS.has(key)) {
      known = false;
      break;
    }
  }
  const keys: readonly string[] = known
    ? BODY_FIELDS
    : Object.keys(fields)
        .filter((k) => !COLUMN_FIELDS.has(k))
        .sort();
  for (const key of keys) {
    const value = fields[key];
    if (value === undefined) continue;
    out += `,${JSON.stringify(key)}:`;
    out += typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
  }
  return `${out}}`;
}

/**
 * The canonical JSON of every field but `hash`: equal to `canonicalJson` of the entry
 * without `hash`, written field by field for the known shape; any other field takes the
 * generic path.
 */
function formatTwoBody(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  for (const key in record) {
    if (!KNOWN_FIELDS.has(key)) {
      const { hash: _hash, ...fields } = record;
      return canonicalJson(fields);
    }
  }
  const fields = record as unknown as Record<string, unknown>;
  let out = '{';
  for (const key of ENTRY_FIELDS) {
    const value = fields[key];
    if (value === undefined) continue;
    if (out.length > 1) out += ',';
    out += `"${key}":`;
    out += typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
  }
  return `${out}}`;
}

/**
 * Chains one audit entry after `prev` (or the genesis hash) in the current
 * {@link AUDIT_HASH_FORMAT}. Stores call this inside their commit transaction so the chain
 * has no gap and no fork.
 */
export function chainAuditEntry(
  draft: AuditDraft,
  prev: Pick<AuditRecord, 'seq' | 'hash'> | undefined,
): AuditRecord {
  return chainAuditRow(draft, prev).record;
}

/**
 * {@link chainAuditEntry}, with the entry's stored form: a store that keeps entries as
 * rows writes `row` (body text included) as it is, which is what the hash covers.
 */
export function chainAuditRow(
  draft: AuditDraft,
  prev: Pick<AuditRecord, 'seq' | 'hash'> | undefined,
): { record: AuditRecord; row: AuditRow } {
  // A literal of one shape: a spread copy given new fields takes V8's slow path.
  const record: AuditRecord = {
    tenantId: draft.tenantId,
    action: draft.action,
    actor: draft.actor,
    runId: draft.runId,
    target: draft.target,
    data: draft.data,
    timestamp: draft.timestamp,
    seq: (prev?.seq ?? 0) + 1,
    prevHash: prev?.hash ?? AUDIT_GENESIS_HASH,
    hashFormat: AUDIT_HASH_FORMAT,
    hash: '',
  };
  // Fields a later release adds are kept (and hashed) as they are.
  for (const key in draft) {
    if (!KNOWN_FIELDS.has(key))
      (record as unknown as Record<string, unknown>)[key] = (draft as unknown as Record<string, unknown>)[
        key
      ];
  }
  const body = auditEntryBody(record);
  record.hash = sha256(
    auditEntryMessage(JSON.stringify(record.tenantId), record.seq, record.timestamp, body),
  );
  return { record, row: { seq: record.seq, timestamp: record.timestamp, hash: record.hash, body } };
}

/**
 * The stored form of an entry: the body is the format-3 body for entries of that format,
 * else the entry's JSON without its columns (what {@link auditRecordFromRow} reads back).
 */
export function auditRowOf(record: AuditRecord): AuditRow {
  let body: string;
  if (record.hashFormat === 3) body = auditEntryBody(record);
  else {
    const { tenantId: _t, seq: _s, timestamp: _ts, hash: _h, ...rest } = record;
    body = JSON.stringify(rest);
  }
  return { seq: record.seq, timestamp: record.timestamp, hash: record.hash, body };
}

/**
 * An entry read back from its row: the columns (tenant, seq, time, hash) win over the body,
 * so an edit of any column, not only of the body, breaks the entry's hash. A body that is
 * no JSON object reads as an entry that fails verification, not as an error.
 */
export function auditRecordFromRow(tenantId: string, row: AuditRow): AuditRecord {
  let body: Partial<AuditRecord> = {};
  try {
    const parsed = typeof row.body === 'string' ? JSON.parse(row.body) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed;
  } catch {
    // Left empty: the entry's hash check names it.
  }
  // The parsed body is this read's own object: the columns are written onto it, not copied.
  body.action ??= '';
  body.actor ??= '';
  body.prevHash ??= '';
  body.tenantId = tenantId;
  body.seq = Number(row.seq);
  body.timestamp = String(row.timestamp);
  body.hash = String(row.hash);
  return body as AuditRecord;
}

/** What kind of damage {@link verifyAuditChain} found. */
export type AuditBreakKind =
  | 'altered'
  | 'missing'
  /** An entry that was not written by the store sits between two that were. */
  | 'inserted'
  | 'out_of_place'
  | 'truncated'
  | 'rewritten'
  /** The checkpoint itself is not signed by the expected key (or was altered). */
  | 'bad_checkpoint';

/** The first broken link of a chain. */
export interface AuditBrokenLink {
  /** The first entry that is wrong or missing. */
  seq: number;
  kind: AuditBreakKind;
  /** What is wrong, in words, naming the entries involved. */
  reason: string;
}

/** Result of {@link verifyAuditChain}. */
export interface AuditVerification {
  valid: boolean;
  /** Entries that verified before the first broken link (all of them when valid). */
  checked: number;
  /** The first broken link, when not valid. */
  brokenAt?: AuditBrokenLink;
  headHash?: string;
  /** The signed checkpoint the log was checked against, when there was one. */
  checkpoint?: { size: number; headHash: string; timestamp: string; keyId: string };
}

/** A signed statement of a log's size and head: see `AuditCheckpoint`. */
export interface AuditChainCheckpoint {
  size: number;
  headHash: string;
  timestamp: string;
  keyId: string;
}

/** Options of {@link verifyAuditChain}. */
export interface VerifyAuditChainOptions {
  /**
   * A checkpoint whose signature the caller has checked: entries it covers must all be
   * there (else the tail is reported missing) and its head must be the entry at its size.
   */
  checkpoint?: AuditChainCheckpoint;
}

function broken(checked: number, seq: number, kind: AuditBreakKind, reason: string): AuditVerification {
  return { valid: false, checked, brokenAt: { seq, kind, reason } };
}

/** The break where entry `expected` (index `i`) is stored with another seq. */
export function seqBreak(i: number, storedSeq: number): AuditVerification {
  const expected = i + 1;
  return broken(
    i,
    expected,
    'missing',
    storedSeq > expected
      ? `entry ${expected}${storedSeq > expected + 1 ? ` to ${storedSeq - 1}` : ''} is missing (the log goes from entry ${i} to ${storedSeq})`
      : `entry ${storedSeq} appears again after entry ${i}`,
  );
}

/**
 * The break where entry `i + 1` does not chain onto entry `i`: `after` is the seq of the
 * stored entry its prevHash names, if any.
 */
export function linkBreak(i: number, after: number | undefined): AuditVerification {
  const expected = i + 1;
  if (after !== undefined && after === i - 1) {
    // This entry was written right after the one two back: the one between does not belong.
    return broken(
      i - 1,
      i,
      'inserted',
      `entry ${i} was inserted: the entry stored as ${expected} was written right after entry ${i - 1}`,
    );
  }
  if (after !== undefined && after !== i) {
    return broken(
      i,
      expected,
      'out_of_place',
      `the entry stored as ${expected} is out of place: it follows the entry stored as ${after}, not entry ${i} (entries swapped or moved)`,
    );
  }
  return broken(
    i,
    expected,
    'altered',
    `entry ${expected} does not chain onto entry ${i} (its prevHash was altered)`,
  );
}

/** The break where entry `i + 1` does not match its own hash. */
export function hashBreak(i: number): AuditVerification {
  return broken(i, i + 1, 'altered', `entry ${i + 1} does not match its hash (it was altered)`);
}

/**
 * The result for a log of `size` entries that chain, checked against a checkpoint:
 * `hashAtCheckpoint` is the hash of the entry at the checkpoint's size.
 */
export function chainResult(
  size: number,
  headHash: string | undefined,
  hashAtCheckpoint: string | undefined,
  cp: AuditChainCheckpoint | undefined,
): AuditVerification {
  const result: AuditVerification = { valid: true, checked: size, headHash };
  if (!cp) return result;
  const checkpoint = { size: cp.size, headHash: cp.headHash, timestamp: cp.timestamp, keyId: cp.keyId };
  if (cp.size > size) {
    const reason =
      size === 0
        ? `the log is empty, but the checkpoint signed at ${cp.timestamp} covers ${cp.size} entries (the log was deleted)`
        : `entries ${size + 1} to ${cp.size} are missing: the checkpoint signed at ${cp.timestamp} covers ${cp.size} entries (the tail was truncated)`;
    return { ...broken(size, size + 1, 'truncated', reason), checkpoint };
  }
  if (cp.size > 0 && hashAtCheckpoint !== cp.headHash) {
    return {
      ...broken(
        cp.size - 1,
        cp.size,
        'rewritten',
        `entry ${cp.size} is not the head the checkpoint signed at ${cp.timestamp} names (the log was rewritten up to it)`,
      ),
      checkpoint,
    };
  }
  return { ...result, checkpoint };
}

/**
 * Recomputes a tenant's chain (the records in seq order, as the store returns them) and
 * names the first broken link: an altered entry, a missing one, one out of place (swapped
 * or moved), and, against a checkpoint, a missing tail or a rewritten log. For a log in a
 * store, `verifyAuditRows` reads it page by page instead.
 */
export function verifyAuditChain(
  records: AuditRecord[],
  options: VerifyAuditChainOptions = {},
): AuditVerification {
  let prevHash = AUDIT_GENESIS_HASH;
  let bySeqPrev: Map<string, number> | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record.seq !== i + 1) return seqBreak(i, record.seq);
    if (record.prevHash !== prevHash) {
      // Which stored entry the prevHash points at: built only once something is wrong.
      bySeqPrev ??= new Map(records.map((r) => [r.hash, r.seq]));
      return linkBreak(i, bySeqPrev.get(record.prevHash));
    }
    if (auditEntryHash(record) !== record.hash) return hashBreak(i);
    prevHash = record.hash;
  }
  const cp = options.checkpoint;
  return chainResult(records.length, records.at(-1)?.hash, cp && records[cp.size - 1]?.hash, cp);
}
