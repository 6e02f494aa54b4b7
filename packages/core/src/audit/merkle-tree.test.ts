import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MerkleTreeHead,
  merkleInclusionPath,
  merkleInclusionRanges,
  merkleLeafHash,
  merkleRoot,
  merkleRootFromPath,
} from './merkle-tree.js';

const entry = (i: number) => createHash('sha256').update(`entry ${i}`).digest('hex');
const node = (l: Buffer, r: Buffer) =>
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(l)
    .update(r)
    .digest();

describe('Merkle tree heads (RFC 6962)', () => {
  it('hashes leaves with 0x00 and nodes with 0x01, splitting at the largest power of two', () => {
    const [a, b, c] = [0, 1, 2].map((i) => merkleLeafHash(entry(i)));
    expect(merkleLeafHash(entry(0))).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(Buffer.from(entry(0), 'hex'))
        .digest(),
    );
    expect(merkleRoot([entry(0)])).toBe(a!.toString('hex'));
    expect(merkleRoot([entry(0), entry(1), entry(2)])).toBe(node(node(a!, b!), c!).toString('hex'));
    expect(merkleRoot([])).toBe(createHash('sha256').digest('hex'));
  });

  it('proves every leaf of trees of 1 to 33 leaves, and nothing else', () => {
    for (let n = 1; n <= 33; n++) {
      const hashes = Array.from({ length: n }, (_, i) => entry(i));
      const root = merkleRoot(hashes);
      for (let i = 0; i < n; i++) {
        const path = merkleInclusionPath(hashes, i);
        expect(merkleRootFromPath(hashes[i]!, i, n, path)).toBe(root);
        if (n > 1) {
          // Another leaf at this position, this leaf at another position, a changed sibling.
          expect(merkleRootFromPath(entry(1000), i, n, path)).not.toBe(root);
          expect(merkleRootFromPath(hashes[i]!, (i + 1) % n, n, path)).not.toBe(root);
          const bad = [...path];
          bad[0] = entry(2000);
          expect(merkleRootFromPath(hashes[i]!, i, n, bad)).not.toBe(root);
        }
      }
    }
  });

  it('refuses a path of the wrong length and a leaf outside the tree', () => {
    const hashes = Array.from({ length: 5 }, (_, i) => entry(i));
    const path = merkleInclusionPath(hashes, 2);
    expect(merkleRootFromPath(hashes[2]!, 2, 5, [...path, entry(9)])).toBeUndefined();
    expect(merkleRootFromPath(hashes[2]!, 2, 5, path.slice(1))).toBeUndefined();
    expect(merkleRootFromPath(hashes[2]!, 5, 5, path)).toBeUndefined();
    expect(() => merkleInclusionPath(hashes, 5)).toThrow(/outside a tree of 5 leaves/);
  });

  it('gives the same heads and paths read one leaf at a time, holding only complete subtrees', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => entry(i));
    const head = new MerkleTreeHead();
    expect(head.root()).toBe(merkleRoot([]));
    for (let n = 1; n <= leaves.length; n++) {
      head.push(leaves[n - 1]!);
      expect([head.size, head.root()]).toEqual([n, merkleRoot(leaves.slice(0, n))]);
      for (const m of [0, n >> 1, n - 1]) {
        const path = merkleInclusionRanges(m, n).map(([start, end]) => merkleRoot(leaves.slice(start, end)));
        expect(path).toEqual(merkleInclusionPath(leaves.slice(0, n), m));
      }
    }
    expect(() => merkleInclusionRanges(3, 3)).toThrow(RangeError);
  });
});
