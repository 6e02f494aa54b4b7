import type { AuditDraft, AuditRecord } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';

/** `prevHash` of a tenant's first audit entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * The hash format new entries are chained with. Format 2 hashes every field of the entry
 * (its time, sequence number, previous hash and any field a later release adds), so no
 * stored column can change without breaking the entry's hash. Format 1 (entries without
 * `hashFormat`, written by releases before it) hashed a fixed list of fields; such entries
 * still verify under their own format.
 */
export const AUDIT_HASH_FORMAT = 2;

/**
 * The hash of an audit entry under its own format (`hashFormat`, absent for format 1):
 * what `hash` must equal. Format 2 is the SHA-256 of the canonical JSON of every field but
 * `hash` itself.
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
  return sha256(formatTwoBody(record));
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

/**
 * The canonical JSON of every field but `hash`: equal to `canonicalJson` of the entry
 * without `hash`, written field by field for the known shape (verification hashes every
 * entry of a log, so this is its hot path); any other field takes the generic path.
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
  // A literal of one shape: a spread copy given new fields takes V8's slow path.
  const entry: AuditRecord = {
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
      (entry as unknown as Record<string, unknown>)[key] = (draft as unknown as Record<string, unknown>)[key];
  }
  entry.hash = auditEntryHash(entry);
  return entry;
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

/**
 * Recomputes a tenant's chain (the records in seq order, as the store returns them) and
 * names the first broken link: an altered entry, a missing one, one out of place (swapped
 * or moved), and, against a checkpoint, a missing tail or a rewritten log.
 */
export function verifyAuditChain(
  records: AuditRecord[],
  options: VerifyAuditChainOptions = {},
): AuditVerification {
  let prevHash = AUDIT_GENESIS_HASH;
  let bySeqPrev: Map<string, number> | undefined;
  // Which stored entry a prevHash points at: built only once something is wrong.
  const chainedAfter = (hash: string) => {
    bySeqPrev ??= new Map(records.map((r) => [r.hash, r.seq]));
    return bySeqPrev.get(hash);
  };
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const expected = i + 1;
    if (record.seq !== expected) {
      return broken(
        i,
        expected,
        'missing',
        record.seq > expected
          ? `entry ${expected}${record.seq > expected + 1 ? ` to ${record.seq - 1}` : ''} is missing (the log goes from entry ${i} to ${record.seq})`
          : `entry ${record.seq} appears again after entry ${i}`,
      );
    }
    if (record.prevHash !== prevHash) {
      const after = chainedAfter(record.prevHash);
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
    if (auditEntryHash(record) !== record.hash) {
      return broken(i, expected, 'altered', `entry ${expected} does not match its hash (it was altered)`);
    }
    prevHash = record.hash;
  }
  const result: AuditVerification = { valid: true, checked: records.length, headHash: records.at(-1)?.hash };
  const cp = options.checkpoint;
  if (!cp) return result;
  const checkpoint = { size: cp.size, headHash: cp.headHash, timestamp: cp.timestamp, keyId: cp.keyId };
  if (cp.size > records.length) {
    const n = records.length;
    const reason =
      n === 0
        ? `the log is empty, but the checkpoint signed at ${cp.timestamp} covers ${cp.size} entries (the log was deleted)`
        : `entries ${n + 1} to ${cp.size} are missing: the checkpoint signed at ${cp.timestamp} covers ${cp.size} entries (the tail was truncated)`;
    return { ...broken(n, n + 1, 'truncated', reason), checkpoint };
  }
  if (cp.size > 0 && records[cp.size - 1]!.hash !== cp.headHash) {
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
