import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { LlmteamError } from '../errors.js';
import type { AuditRecord } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import type { AuditCheckpoint } from './checkpoint-types.js';
import { auditEntryHash } from './hash-chain.js';
import { merkleRootFromPath } from './merkle-tree.js';

export type { AuditCheckpoint } from './checkpoint-types.js';

/** The bytes an {@link AuditCheckpoint}'s signature covers: every field but the signature. */
export function auditCheckpointMessage(checkpoint: Omit<AuditCheckpoint, 'signature'>): Buffer {
  const { signature: _s, ...fields } = checkpoint as AuditCheckpoint;
  return Buffer.from(`llmteam-audit-checkpoint\n${canonicalJson(fields)}`);
}

/** An Ed25519 key pair that signs checkpoints. */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  /** True for the built-in development key, which anyone can read in the source. */
  development: boolean;
}

// PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The key id of an Ed25519 public key: first 16 hex digits of SHA-256 of its raw 32 bytes. */
export function auditKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return sha256(der.subarray(der.length - 32).toString('hex')).slice(0, 16);
}

function keyError(what: string, cause?: unknown): LlmteamError {
  return new LlmteamError(
    'LLMT_E_AUDIT_KEY',
    `${what}: give an Ed25519 key in PEM (e.g. from \`openssl genpkey -algorithm ed25519\`)`,
    { cause },
  );
}

/**
 * The signing key of audit checkpoints: an Ed25519 private key in PEM, or, without one,
 * the development key (derived from a fixed seed, so checkpoints verify across restarts;
 * use a key of your own in production).
 * @throws LlmteamError `LLMT_E_AUDIT_KEY` when `pem` is not an Ed25519 private key.
 */
export function auditSigningKey(pem?: string | KeyObject): AuditSigningKey {
  let privateKey: KeyObject;
  const development = pem === undefined;
  try {
    privateKey =
      pem === undefined
        ? createPrivateKey({
            key: Buffer.concat([
              ED25519_PKCS8_PREFIX,
              Buffer.from(sha256('llmteam development audit key'), 'hex'),
            ]),
            format: 'der',
            type: 'pkcs8',
          })
        : typeof pem === 'string'
          ? createPrivateKey(pem)
          : pem;
  } catch (error) {
    throw keyError('the audit signing key cannot be read', error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw keyError('the audit signing key is not an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: auditKeyId(publicKey), development };
}

/** Reads an Ed25519 public key (PEM, or the public half of a private key in PEM). */
export function auditPublicKey(pem: string | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof pem === 'string' ? createPublicKey(pem) : pem.type === 'private' ? createPublicKey(pem) : pem;
  } catch (error) {
    throw keyError('the audit public key cannot be read', error);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyError('the audit public key is not an Ed25519 key');
  return key;
}

/** Signs a checkpoint body with `key`. */
export function signAuditCheckpoint(
  body: Omit<AuditCheckpoint, 'signature' | 'keyId' | 'format'>,
  key: AuditSigningKey,
): AuditCheckpoint {
  const unsigned = { format: 1 as const, ...body, keyId: key.keyId };
  const signature = sign(null, auditCheckpointMessage(unsigned), key.privateKey).toString('base64');
  return { ...unsigned, signature };
}

/** True when `checkpoint` is signed by `publicKey` and unchanged since. */
export function verifyAuditCheckpoint(checkpoint: AuditCheckpoint, publicKey: KeyObject | string): boolean {
  const key = auditPublicKey(publicKey);
  if (checkpoint.format !== 1 || typeof checkpoint.signature !== 'string') return false;
  try {
    return verify(null, auditCheckpointMessage(checkpoint), key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Proof that one audit entry is in a tenant's log: the entry, its audit path and the
 * signed checkpoint whose tree head the path leads to. It reveals no other entry.
 */
export interface AuditInclusionProof {
  entry: AuditRecord;
  /** 0-based position of the entry's leaf (`entry.seq - 1`). */
  leafIndex: number;
  /** Size of the tree (equals `checkpoint.size`). */
  treeSize: number;
  /** Sibling hashes from the leaf up (hex). */
  path: string[];
  checkpoint: AuditCheckpoint;
}

/** Result of {@link verifyAuditInclusion}. */
export interface AuditInclusionResult {
  valid: boolean;
  /** Why not, when not valid. */
  reason?: string;
}

/**
 * Checks an inclusion proof on its own, with nothing but the signer's public key: the
 * checkpoint's signature, the entry's own hash, and that its audit path leads to the
 * checkpoint's tree head.
 */
export function verifyAuditInclusion(
  proof: AuditInclusionProof,
  publicKey: KeyObject | string,
): AuditInclusionResult {
  const { entry, checkpoint } = proof;
  if (!verifyAuditCheckpoint(checkpoint, publicKey))
    return { valid: false, reason: 'the checkpoint is not signed by this key, or was altered' };
  if (entry.tenantId !== checkpoint.tenantId)
    return {
      valid: false,
      reason: `the entry is of tenant ${entry.tenantId}, the checkpoint of ${checkpoint.tenantId}`,
    };
  if (auditEntryHash(entry) !== entry.hash)
    return { valid: false, reason: 'the entry does not match its hash (it was altered)' };
  if (proof.leafIndex !== entry.seq - 1 || proof.treeSize !== checkpoint.size)
    return {
      valid: false,
      reason: 'the proof names another position or tree size than the entry and checkpoint',
    };
  const root = merkleRootFromPath(entry.hash, proof.leafIndex, proof.treeSize, proof.path);
  if (root !== checkpoint.rootHash)
    return {
      valid: false,
      reason: `the audit path of entry ${entry.seq} does not lead to the checkpoint's tree head`,
    };
  return { valid: true };
}
