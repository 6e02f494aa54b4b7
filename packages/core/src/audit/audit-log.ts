import type { KeyObject } from 'node:crypto';
import type { Logger } from '../catalog/types.js';
import { LlmteamError } from '../errors.js';
import type { AuditRow, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { parseDuration } from '../util/duration.js';
import type { AuditAnchor } from './audit-anchors.js';
import { auditRowPages, verifyAuditRows } from './audit-pages.js';
import {
  type AuditCheckpoint,
  type AuditInclusionProof,
  type AuditSigningKey,
  auditKeyId,
  auditPublicKey,
  auditSigningKey,
  signAuditCheckpoint,
  verifyAuditCheckpoint,
} from './checkpoint.js';
import { AUDIT_GENESIS_HASH, type AuditVerification, auditRecordFromRow } from './hash-chain.js';
import { MerkleTreeHead, merkleInclusionRanges } from './merkle-tree.js';

/** Audit checkpoints: signing key, schedule and external anchors (`EngineOptions.audit`). */
export interface AuditOptions {
  /** Ed25519 private key (PEM) that signs checkpoints. @default the development key (see `auditSigningKey`) */
  signingKey?: string | KeyObject;
  /**
   * How often every tenant's log gets a signed checkpoint, idle or not (ISO 8601 duration
   * or seconds, on the engine's clock, while the engine runs); 0 turns the schedule off.
   * @default 'PT1H'
   */
  checkpointEvery?: string | number;
  /** Where each checkpoint is sent besides the store (`fileAnchor`, `webhookAnchor`). @default [] */
  anchors?: AuditAnchor[];
  /** Tenants the schedule covers besides those of the registry. @default ['default'] */
  tenants?: string[];
}

/** Options of {@link AuditLog.verify}. */
export interface AuditVerifyOptions {
  /** Check against this checkpoint (e.g. an anchored copy) instead of the newest stored one. */
  checkpoint?: AuditCheckpoint;
  /** Key the checkpoint must be signed with. @default this engine's signing key */
  publicKey?: string | KeyObject;
}

/**
 * A tenant's audit log beyond its hash chain: signed checkpoints (on a schedule and on
 * demand, stored and anchored outside), verification against the newest checkpoint, and
 * Merkle inclusion proofs of single entries. Reached as `engine.audit`.
 */
export class AuditLog {
  readonly signingKey: AuditSigningKey;
  private readonly everyMs: number;
  private readonly anchors: AuditAnchor[];
  private handle: unknown;
  private running = false;
  private inFlight?: Promise<unknown>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: AuditOptions = {},
    /** Resolves when the store is ready (the engine's `init`). */
    private readonly ready: () => Promise<void> = async () => undefined,
  ) {
    this.signingKey = auditSigningKey(options.signingKey);
    this.everyMs = parseDuration(options.checkpointEvery ?? 'PT1H', 'audit.checkpointEvery');
    this.anchors = [...(options.anchors ?? [])];
  }

  /** The public key (PEM) that verifies this engine's checkpoints. */
  get publicKeyPem(): string {
    return this.signingKey.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /**
   * Signs a checkpoint of the tenant's log now (size, head hash, Merkle tree head), stores
   * it and sends it to every anchor. An anchor that fails is logged; the checkpoint stands.
   */
  async checkpoint(tenantId: string): Promise<AuditCheckpoint> {
    await this.ready();
    // Read page by page: only the tree's complete subtree heads are held, not the log.
    const tree = new MerkleTreeHead();
    let head = AUDIT_GENESIS_HASH;
    for await (const page of auditRowPages(this.store, tenantId)) {
      for (const row of page) {
        tree.push(row.hash);
        head = row.hash;
      }
    }
    const checkpoint = signAuditCheckpoint(
      {
        tenantId,
        size: tree.size,
        headHash: head,
        rootHash: tree.root(),
        timestamp: new Date(this.clock.now()).toISOString(),
      },
      this.signingKey,
    );
    await this.store.auditCheckpoints?.putCheckpoint(checkpoint);
    await Promise.all(
      this.anchors.map((a) =>
        a
          .publish(checkpoint)
          .catch((error) =>
            this.logger.warn(
              { err: error, anchor: a.name, tenantId },
              'could not anchor an audit checkpoint',
            ),
          ),
      ),
    );
    return checkpoint;
  }

  /** The tenant's newest stored checkpoint (largest size). */
  async latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined> {
    await this.ready();
    return this.store.auditCheckpoints?.latestCheckpoint(tenantId);
  }

  /**
   * Recomputes the tenant's chain and checks it against the newest checkpoint (or the one
   * given): names the first altered, missing or misplaced entry, or the missing tail.
   */
  async verify(tenantId: string, options: AuditVerifyOptions = {}): Promise<AuditVerification> {
    await this.ready();
    const checkpoint = options.checkpoint ?? (await this.latestCheckpoint(tenantId));
    if (checkpoint) {
      const key = options.publicKey ? auditPublicKey(options.publicKey) : this.signingKey.publicKey;
      const checked = {
        size: checkpoint.size,
        headHash: checkpoint.headHash,
        timestamp: checkpoint.timestamp,
        keyId: checkpoint.keyId,
      };
      if (checkpoint.tenantId !== tenantId || !verifyAuditCheckpoint(checkpoint, key)) {
        return {
          valid: false,
          checked: 0,
          brokenAt: {
            seq: 0,
            kind: 'bad_checkpoint',
            reason: `the checkpoint signed at ${checkpoint.timestamp} is not a checkpoint of tenant ${tenantId} signed by key ${auditKeyId(key)} (it was altered, or signed by another key)`,
          },
          checkpoint: checked,
        };
      }
    }
    return verifyAuditRows(tenantId, () => auditRowPages(this.store, tenantId), { checkpoint });
  }

  /**
   * Proof that entry `seq` is in the tenant's log, against the newest checkpoint that
   * covers it (a new one is signed when none does).
   * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` when the log has no entry `seq`, or the
   *   log no longer matches the checkpoint.
   */
  async proof(tenantId: string, seq: number): Promise<AuditInclusionProof> {
    let checkpoint = await this.latestCheckpoint(tenantId);
    if (!checkpoint || checkpoint.size < seq) checkpoint = await this.checkpoint(tenantId);
    const size = checkpoint.size;
    const valid = Number.isInteger(seq) && seq >= 1 && seq <= size;
    // One read of the log's first `size` entries: the tree head, the path's subtree heads and the entry.
    const ranges = valid ? merkleInclusionRanges(seq - 1, size) : [];
    const heads = ranges.map(() => new MerkleTreeHead());
    const tree = new MerkleTreeHead();
    let entry: AuditRow | undefined;
    let count = 0;
    read: for await (const page of auditRowPages(this.store, tenantId)) {
      for (const row of page) {
        if (count === size) break read;
        if (count === seq - 1) entry = row;
        tree.push(row.hash);
        const r = ranges.findIndex(([start, end]) => count >= start && count < end);
        if (r >= 0) heads[r]!.push(row.hash);
        count++;
      }
    }
    if (!valid || !entry || entry.seq !== seq) {
      let total = 0;
      for await (const page of auditRowPages(this.store, tenantId)) total += page.length;
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `seq: tenant ${tenantId}'s audit log has no entry ${seq} (it has ${total}); give a seq from 1 to ${total}`,
      );
    }
    if (count !== size || tree.root() !== checkpoint.rootHash) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `tenant ${tenantId}'s audit log no longer matches its checkpoint signed at ${checkpoint.timestamp}; run \`llmteam audit verify\` to find the damage`,
      );
    }
    return {
      entry: auditRecordFromRow(tenantId, entry),
      leafIndex: seq - 1,
      treeSize: size,
      path: heads.map((h) => h.root()),
      checkpoint,
    };
  }

  /** Starts the checkpoint schedule (called by `engine.start()`). */
  start(): void {
    if (this.running || this.everyMs <= 0) return;
    this.running = true;
    this.arm();
  }

  /** Resolves when the scheduled checkpoints in progress (if any) are written and anchored. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** Stops the checkpoint schedule. */
  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.handle);
  }

  private arm(): void {
    this.handle = this.clock.setTimeout(() => {
      if (!this.running) return;
      // The next one is due a full period after this one, however long this one takes.
      this.arm();
      if (this.inFlight) return;
      this.inFlight = this.checkpointAll().finally(() => {
        this.inFlight = undefined;
      });
    }, this.everyMs);
  }

  /** Signs a checkpoint of every tenant's log (the registry's tenants and `options.tenants`). */
  async checkpointAll(): Promise<AuditCheckpoint[]> {
    const tenants = new Set(this.options.tenants ?? ['default']);
    try {
      for (const t of await this.store.listTenants()) tenants.add(t.tenantId);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not list tenants for audit checkpoints');
    }
    const done: AuditCheckpoint[] = [];
    for (const tenantId of tenants) {
      try {
        done.push(await this.checkpoint(tenantId));
      } catch (error) {
        this.logger.warn({ err: error, tenantId }, 'could not sign an audit checkpoint');
      }
    }
    return done;
  }
}
