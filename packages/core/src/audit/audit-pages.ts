import { LlmteamError } from '../errors.js';
import type { AuditPageQuery, AuditRecord, AuditRow } from '../store/commit-types.js';
import type { Store } from '../store/types.js';
import { sha256 } from '../util/canonical-json.js';
import {
  AUDIT_BODY_PREFIX,
  AUDIT_GENESIS_HASH,
  type AuditVerification,
  auditEntryHash,
  auditEntryMessage,
  auditRecordFromRow,
  auditRowOf,
  chainResult,
  hashBreak,
  linkBreak,
  seqBreak,
  type VerifyAuditChainOptions,
} from './hash-chain.js';

/** Entries per page when the audit log is read page by page. */
export const AUDIT_PAGE_SIZE = 1000;

/**
 * Checks a page query of `Store.listAuditRows`.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a limit that is not a whole number
 *   from 1, or an `afterSeq` that is not a whole number from 0.
 */
export function checkAuditPage(page: AuditPageQuery): void {
  if (!Number.isInteger(page?.limit) || page.limit < 1)
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `limit: a page of the audit log holds a whole number of entries from 1, got ${page?.limit}`,
    );
  if (page.afterSeq !== undefined && (!Number.isInteger(page.afterSeq) || page.afterSeq < 0))
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `afterSeq: give the seq of an audit entry (a whole number from 0), got ${page.afterSeq}`,
    );
}

/** Options of {@link auditRowPages}. */
export interface AuditRowPagesOptions {
  /** Start after this entry. @default 0 */
  afterSeq?: number;
  /** Entries per page. @default AUDIT_PAGE_SIZE */
  pageSize?: number;
}

/**
 * A tenant's audit log as stored, page by page in seq order: `store.listAuditRows` when the
 * store has it (memory stays flat), otherwise its whole `listAudit` read once and cut up.
 */
export async function* auditRowPages(
  store: Pick<Store, 'listAudit' | 'listAuditRows'>,
  tenantId: string,
  options: AuditRowPagesOptions = {},
): AsyncGenerator<AuditRow[]> {
  const limit = options.pageSize ?? AUDIT_PAGE_SIZE;
  let afterSeq = options.afterSeq ?? 0;
  checkAuditPage({ afterSeq, limit });
  if (typeof store.listAuditRows !== 'function') {
    const records = (await store.listAudit(tenantId)).filter((r) => r.seq > afterSeq);
    for (let i = 0; i < records.length; i += limit) yield records.slice(i, i + limit).map(auditRowOf);
    return;
  }
  for (;;) {
    const rows = await store.listAuditRows(tenantId, { afterSeq, limit });
    if (rows.length) yield rows;
    if (rows.length < limit) return;
    const last = rows[rows.length - 1]!.seq;
    // A store answering out of order would page forever: stop at the first page that does not advance.
    if (!(last > afterSeq)) return;
    afterSeq = last;
  }
}

/** A page of a tenant's audit records: entries after `afterSeq`, within [from, to] when given. */
export interface AuditRecordPageQuery {
  afterSeq?: number;
  limit: number;
  from?: string;
  to?: string;
}

/**
 * One page of a tenant's audit records in chain order (decoded from `auditRowPages`),
 * optionally within a time range: at most `limit` entries after `afterSeq`.
 */
export async function listAuditPage(
  store: Pick<Store, 'listAudit' | 'listAuditRows'>,
  tenantId: string,
  query: AuditRecordPageQuery,
): Promise<AuditRecord[]> {
  checkAuditPage(query);
  const out: AuditRecord[] = [];
  const pageSize = Math.min(AUDIT_PAGE_SIZE, Math.max(query.limit, 100));
  for await (const page of auditRowPages(store, tenantId, { afterSeq: query.afterSeq, pageSize })) {
    for (const row of page) {
      if ((query.from && row.timestamp < query.from) || (query.to && row.timestamp > query.to)) continue;
      out.push(auditRecordFromRow(tenantId, row));
      if (out.length === query.limit) return out;
    }
  }
  return out;
}

/** Reads a tenant's audit log from its first entry, page by page (`auditRowPages`). */
export type AuditRowReader = () => AsyncIterable<AuditRow[]>;

/**
 * {@link verifyAuditChain} over a log read page by page, so memory stays flat however long
 * it is. An entry of hash format 3 is checked on its stored text (its link, and one SHA-256
 * of its columns and body); any other entry, and any entry that fails that check, is
 * decoded and checked as `verifyAuditChain` checks it, naming the same first broken link.
 * Finding which entry a misplaced one follows reads the log a second time.
 */
export async function verifyAuditRows(
  tenantId: string,
  read: AuditRowReader,
  options: VerifyAuditChainOptions = {},
): Promise<AuditVerification> {
  const quotedTenant = JSON.stringify(tenantId);
  const prefixLength = AUDIT_BODY_PREFIX.length;
  const cpSize = options.checkpoint?.size ?? 0;
  let prevHash = AUDIT_GENESIS_HASH;
  let head: string | undefined;
  let atCheckpoint: string | undefined;
  let i = 0;
  for await (const page of read()) {
    for (const row of page) {
      if (row.seq !== i + 1) return seqBreak(i, row.seq);
      const body = row.body;
      const linked =
        typeof body === 'string' &&
        body.startsWith(AUDIT_BODY_PREFIX) &&
        body.charCodeAt(prefixLength) === 34 &&
        body.startsWith(prevHash, prefixLength + 1) &&
        body.charCodeAt(prefixLength + 1 + prevHash.length) === 34;
      if (!linked || sha256(auditEntryMessage(quotedTenant, row.seq, row.timestamp, body)) !== row.hash) {
        const record = auditRecordFromRow(tenantId, row);
        if (record.prevHash !== prevHash) return linkBreak(i, await seqOfHash(read, record.prevHash));
        if (auditEntryHash(record) !== record.hash) return hashBreak(i);
      }
      prevHash = head = row.hash;
      i++;
      if (i === cpSize) atCheckpoint = row.hash;
    }
  }
  return chainResult(i, head, atCheckpoint, options.checkpoint);
}

/** The seq of the (last) stored entry whose hash is `hash`, read page by page. */
async function seqOfHash(read: AuditRowReader, hash: string): Promise<number | undefined> {
  let found: number | undefined;
  for await (const page of read()) for (const row of page) if (row.hash === hash) found = row.seq;
  return found;
}
