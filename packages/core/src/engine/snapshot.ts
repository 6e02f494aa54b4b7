import { LlmteamError } from '../errors.js';
import type { SnapshotReason, SnapshotRecord, SnapshotState } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';

/** SHA-256 (hex) over the canonical JSON of a snapshot's state. */
export function snapshotChecksum(state: SnapshotState): string {
  return sha256(canonicalJson(state));
}

/** Makes an immutable, checksummed snapshot record. */
export function buildSnapshot(
  state: SnapshotState,
  meta: { snapshotId: string; reason: SnapshotReason; createdAt: string; label?: string },
): SnapshotRecord {
  // A deep copy through JSON: the snapshot must not change when the run does.
  const frozen = JSON.parse(JSON.stringify(state)) as SnapshotState;
  return {
    snapshotId: meta.snapshotId,
    tenantId: frozen.run.tenantId,
    runId: frozen.run.runId,
    segmentId: frozen.run.segmentId,
    seq: frozen.run.lastSeq,
    reason: meta.reason,
    ...(meta.label !== undefined ? { label: meta.label } : {}),
    createdAt: meta.createdAt,
    state: frozen,
    checksum: snapshotChecksum(frozen),
  };
}

/**
 * Throws `LLMT_E_SNAPSHOT_CORRUPT` when a snapshot's state does not match its checksum.
 * Restore and fork call this before touching anything.
 */
export function verifySnapshot(snapshot: SnapshotRecord): void {
  let actual: string;
  try {
    actual = snapshotChecksum(snapshot.state);
  } catch (cause) {
    throw new LlmteamError(
      'LLMT_E_SNAPSHOT_CORRUPT',
      `snapshot ${snapshot.snapshotId} cannot be read: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (actual !== snapshot.checksum) {
    throw new LlmteamError(
      'LLMT_E_SNAPSHOT_CORRUPT',
      `snapshot ${snapshot.snapshotId} of run ${snapshot.runId} fails its SHA-256 checksum (stored ${snapshot.checksum.slice(0, 12)}…, computed ${actual.slice(0, 12)}…); it was altered or damaged and was not restored — use another snapshot`,
      { details: { snapshotId: snapshot.snapshotId, expected: snapshot.checksum, actual } },
    );
  }
}
