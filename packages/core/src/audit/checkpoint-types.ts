// The checkpoint's shape, free of Node imports so type-only users (the browser client) can name it.

/**
 * A signed statement of a tenant's audit log at one moment: its size, the hash of its last
 * entry and its Merkle tree head, signed with Ed25519. Kept outside the log (a file, a
 * webhook), it proves which entries existed: a log shorter than a checkpoint was truncated.
 */
export interface AuditCheckpoint {
  /** Format of the signed message. */
  format: 1;
  tenantId: string;
  /** Number of entries covered (entries 1..size). */
  size: number;
  /** Hash of entry `size` (the genesis hash for an empty log). */
  headHash: string;
  /** RFC 6962-style Merkle tree head over the entry hashes 1..size. */
  rootHash: string;
  /** When it was signed (ISO 8601, the engine's clock). */
  timestamp: string;
  /** First 16 hex digits of the SHA-256 of the signing key's raw public key. */
  keyId: string;
  /** Base64 Ed25519 signature over {@link auditCheckpointMessage}. */
  signature: string;
}
