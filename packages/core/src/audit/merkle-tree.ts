import { createHash } from 'node:crypto';

/**
 * Merkle tree heads and inclusion proofs in the style of RFC 6962 (section 2.1) over an
 * audit log: leaf n is the 32-byte hash of entry n + 1, hashed as SHA-256(0x00 || leaf);
 * an inner node is SHA-256(0x01 || left || right). Hashes are lower-case hex.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

function hashOf(prefix: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHash('sha256').update(prefix);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The leaf hash of one entry hash (hex): SHA-256(0x00 || entry hash bytes). */
export function merkleLeafHash(entryHash: string): Buffer {
  return hashOf(LEAF, Buffer.from(entryHash, 'hex'));
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hashOf(NODE, left, right);
}

/** Largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function subtreeRoot(leaves: Buffer[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  const k = split(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** SHA-256 of the empty string: the head of an empty tree. */
const EMPTY_ROOT = createHash('sha256').digest();

/** The Merkle tree head (hex) over entry hashes, in log order. */
export function merkleRoot(entryHashes: readonly string[]): string {
  if (entryHashes.length === 0) return EMPTY_ROOT.toString('hex');
  return subtreeRoot(entryHashes.map(merkleLeafHash), 0, entryHashes.length).toString('hex');
}

/**
 * The tree head over entry hashes pushed one at a time, in log order, holding only the
 * roots of its complete subtrees (one per bit of the size): memory stays flat however
 * long the log.
 */
export class MerkleTreeHead {
  private readonly roots: Buffer[] = [];
  private readonly sizes: number[] = [];
  private count = 0;

  /** Leaves pushed so far. */
  get size(): number {
    return this.count;
  }

  /** Appends the leaf of one entry hash (hex). */
  push(entryHash: string): void {
    let node = merkleLeafHash(entryHash);
    let size = 1;
    while (this.sizes.length && this.sizes[this.sizes.length - 1] === size) {
      node = nodeHash(this.roots.pop()!, node);
      this.sizes.pop();
      size *= 2;
    }
    this.roots.push(node);
    this.sizes.push(size);
    this.count++;
  }

  /** The tree head (hex) over the leaves pushed so far (RFC 6962 `MTH`). */
  root(): string {
    if (this.roots.length === 0) return EMPTY_ROOT.toString('hex');
    let r = this.roots[this.roots.length - 1]!;
    for (let j = this.roots.length - 2; j >= 0; j--) r = nodeHash(this.roots[j]!, r);
    return r.toString('hex');
  }
}

/**
 * The leaf ranges `[start, end)` whose subtree heads make up the audit path of leaf
 * `index` in a tree of `size` leaves, from the leaf up: reading the log once, a
 * {@link MerkleTreeHead} per range gives the path (see {@link merkleInclusionPath}).
 */
export function merkleInclusionRanges(index: number, size: number): Array<[number, number]> {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${size} leaves`);
  }
  const ranges: Array<[number, number]> = [];
  const walk = (m: number, start: number, end: number) => {
    const n = end - start;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, start, start + k);
      ranges.push([start + k, end]);
    } else {
      walk(m - k, start + k, end);
      ranges.push([start, start + k]);
    }
  };
  walk(index, 0, size);
  return ranges;
}

/**
 * The audit path (RFC 6962 `PATH(m, D[n])`) of leaf `index` (0-based) in the tree over
 * `entryHashes`: the sibling hashes from the leaf up, as hex.
 */
export function merkleInclusionPath(entryHashes: readonly string[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= entryHashes.length) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${entryHashes.length} leaves`);
  }
  const leaves = entryHashes.map(merkleLeafHash);
  const path: Buffer[] = [];
  const walk = (m: number, start: number, end: number) => {
    const n = end - start;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(subtreeRoot(leaves, start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(subtreeRoot(leaves, start, start + k));
    }
  };
  walk(index, 0, leaves.length);
  return path.map((p) => p.toString('hex'));
}

/**
 * The tree head an inclusion path leads to from one entry hash (RFC 9162 section 2.1.3.2),
 * or undefined when the path cannot belong to a tree of `treeSize` leaves.
 */
export function merkleRootFromPath(
  entryHash: string,
  index: number,
  treeSize: number,
  path: readonly string[],
): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = merkleLeafHash(entryHash);
  for (const hex of path) {
    if (sn === 0) return undefined;
    const p = Buffer.from(hex, 'hex');
    if (p.length !== 32) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r.toString('hex') : undefined;
}
