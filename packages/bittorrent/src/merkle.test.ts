import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  BLOCK_SIZE_V2,
  blockHashes,
  fileRoot,
  layerRoot,
  padHash,
  pieceHashV2,
  proofUncles,
  rootFromPieceLayer,
  treeHeight,
  verifyHashProof,
} from './merkle';

const h = (...b: Buffer[]) => createHash('sha256').update(Buffer.concat(b)).digest();

test('pad hashes: zero leaves, then the hash of two pads below', () => {
  expect(padHash(0)).toEqual(Buffer.alloc(32));
  expect(padHash(1)).toEqual(h(Buffer.alloc(64)));
  expect(padHash(2)).toEqual(h(padHash(1), padHash(1)));
});

test('a file of three blocks: leaves padded with a zero hash to four', () => {
  const data = Buffer.alloc(2 * BLOCK_SIZE_V2 + 5, 0x61);
  const [a, b, c] = blockHashes(data);
  expect(c).toEqual(h(Buffer.alloc(5, 0x61))); // the short last block is hashed as it is
  const root = h(h(a, b), h(c, Buffer.alloc(32)));
  expect(fileRoot(data, 4 * BLOCK_SIZE_V2)).toEqual(root);
  expect(layerRoot([a, b, c])).toEqual(root);
});

test('a file longer than a piece: the piece layer padded with hashes of zero pieces', () => {
  const pl = 2 * BLOCK_SIZE_V2;
  const data = Buffer.alloc(5 * BLOCK_SIZE_V2, 0x62);
  const blocks = blockHashes(data);
  const p0 = h(blocks[0], blocks[1]);
  const p2 = h(blocks[4], Buffer.alloc(32)); // the last piece padded with a zero leaf
  expect(pieceHashV2(data.subarray(4 * BLOCK_SIZE_V2), pl)).toEqual(p2);
  const root = h(h(p0, p0), h(p2, padHash(1)));
  expect(rootFromPieceLayer([p0, p0, p2], pl)).toEqual(root);
  expect(fileRoot(data, pl)).toEqual(root);
  expect(treeHeight(data.length, pl)).toBe(3);
  // the same root from the blocks directly, the tree being 8 leaves wide
  expect(layerRoot(blocks, 0, 8)).toEqual(root);
});

test('hash proofs: made by proofUncles, checked by verifyHashProof, any flipped byte fails', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.nat(),
      fc.nat(),
      (leafCount, base, widthLog, at, flip) => {
        const leaves = Array.from({ length: leafCount }, (_, i) => h(Buffer.from([i, leafCount])));
        let height = 0;
        while (2 ** height < leafCount) height++;
        if (base > height) return;
        // the layer `base` above the leaves
        let layer: Buffer[] = leaves;
        for (let b = 0; b < base; b++) {
          const up: Buffer[] = [];
          for (let i = 0; i < layer.length; i += 2)
            up.push(h(layer[i], layer[i + 1] ?? padHash(b)));
          layer = up;
        }
        const size = 2 ** (height - base);
        const width = Math.min(2 ** widthLog, size);
        const index = (at % Math.ceil(layer.length / width)) * width;
        // the layer as a peer sends it: padded to the tree's width
        const hashes = Array.from({ length: width }, (_, i) => layer[index + i] ?? padHash(base));
        const root = layerRoot(leaves, 0, 2 ** height);
        const uncles = proofUncles(layer, base, height, index, width);
        const proof = { root, height, baseLayer: base, index, hashes, uncles };
        expect(verifyHashProof(proof)).toBe(true);
        const all = [...hashes, ...uncles].map((x) => Buffer.from(x));
        const k = flip % all.length;
        all[k][flip % 32] ^= 1;
        const bad = {
          ...proof,
          hashes: all.slice(0, hashes.length),
          uncles: all.slice(hashes.length),
        };
        expect(verifyHashProof(bad)).toBe(false);
        // a proof one uncle short or at another index fails
        expect(verifyHashProof({ ...proof, uncles: uncles.slice(1) })).toBe(uncles.length === 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('hash proofs with impossible ranges are refused, not thrown', () => {
  const root = padHash(3);
  const one = [Buffer.alloc(32)];
  expect(
    verifyHashProof({ root, height: 3, baseLayer: 4, index: 0, hashes: one, uncles: [] }),
  ).toBe(false);
  expect(
    verifyHashProof({ root, height: 3, baseLayer: 0, index: 9, hashes: one, uncles: [] }),
  ).toBe(false);
  expect(verifyHashProof({ root, height: 3, baseLayer: 0, index: 0, hashes: [], uncles: [] })).toBe(
    false,
  );
  const three = [Buffer.alloc(32), Buffer.alloc(32), Buffer.alloc(32)];
  expect(
    verifyHashProof({ root, height: 3, baseLayer: 0, index: 2, hashes: three, uncles: [] }),
  ).toBe(false);
});
