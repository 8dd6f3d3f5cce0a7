/**
 * BEP 52 merkle trees: every file of a v2 torrent is hashed as a binary SHA-256 tree whose leaves
 * are the hashes of its 16 KiB blocks (the last block as long as the data left). A tree's width
 * is a power of two; the leaves past the file's end are 32 zero bytes, so a node made only of
 * such leaves is a "pad" hash that depends only on its height.
 *
 * Layers are numbered from the leaves (0) up; the piece layer is log2(piece length / 16 KiB).
 * A file no longer than one piece has no piece layer in the torrent: its root covers its blocks
 * alone (a tree as wide as its block count rounded up to a power of two).
 */
import { createHash } from 'node:crypto';

export const BLOCK_SIZE_V2 = 16 * 1024;
export const HASH_SIZE_V2 = 32;

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const padCache: Buffer[] = [Buffer.alloc(HASH_SIZE_V2)];

/** The hash of a subtree of `2^height` zero leaves (height 0: the zero leaf itself). */
export function padHash(height: number): Buffer {
  if (!Number.isInteger(height) || height < 0 || height > 62) {
    throw new RangeError(`merkle height ${height} out of range`);
  }
  while (padCache.length <= height) {
    const below = padCache[padCache.length - 1];
    padCache.push(sha256(below, below));
  }
  return padCache[height];
}

/** log2 of a power of two. */
export function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** The smallest power of two at least `n` (1 for 0). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The root of a layer of `nodes` (each the root of a subtree of height `height`) padded with pad
 * hashes to `width` nodes (a power of two, at least `nodes.length`; default the next one).
 */
export function layerRoot(
  nodes: readonly Buffer[],
  height = 0,
  width = nextPow2(nodes.length),
): Buffer {
  if (nodes.length > width || (width & (width - 1)) !== 0) {
    throw new RangeError(`a layer of ${nodes.length} nodes does not fit a tree ${width} wide`);
  }
  let level: Buffer[] = [...nodes];
  let h = height;
  for (let w = width; w > 1; w /= 2) {
    const pad = padHash(h);
    const up: Buffer[] = [];
    for (let i = 0; i < w; i += 2) {
      if (i >= level.length) break; // the rest of this level is pad hashes
      up.push(sha256(level[i], level[i + 1] ?? pad));
    }
    level = up;
    h++;
  }
  return level[0] ?? padHash(h);
}

/** The SHA-256 of each 16 KiB block of `data` (the last one shorter when the data ends). */
export function blockHashes(data: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += BLOCK_SIZE_V2) {
    out.push(sha256(data.subarray(o, Math.min(o + BLOCK_SIZE_V2, data.length))));
  }
  return out;
}

/**
 * The piece-layer hash of one piece of a file: the root of its blocks, padded with zero leaves to
 * `pieceLength / 16 KiB` leaves (only the last piece of a file is shorter).
 */
export function pieceHashV2(data: Uint8Array, pieceLength: number): Buffer {
  return layerRoot(blockHashes(data), 0, pieceLength / BLOCK_SIZE_V2);
}

/**
 * A file's pieces root from its piece layer (files longer than one piece): the layer padded with
 * the hashes of all-zero pieces to a power of two.
 */
export function rootFromPieceLayer(layer: readonly Buffer[], pieceLength: number): Buffer {
  return layerRoot(layer, log2(pieceLength / BLOCK_SIZE_V2));
}

/** A file's pieces root from its whole data (any length > 0). */
export function fileRoot(data: Uint8Array, pieceLength: number): Buffer {
  if (data.length <= pieceLength) return layerRoot(blockHashes(data));
  const layer: Buffer[] = [];
  for (let o = 0; o < data.length; o += pieceLength) {
    layer.push(pieceHashV2(data.subarray(o, Math.min(o + pieceLength, data.length)), pieceLength));
  }
  return rootFromPieceLayer(layer, pieceLength);
}

/** Splits a BEP 52 piece layer string into its 32-byte hashes (views, not copies). */
export function splitHashes(layer: Buffer): Buffer[] {
  if (layer.length % HASH_SIZE_V2 !== 0) {
    throw new RangeError(`${layer.length} bytes is not a whole number of SHA-256 hashes`);
  }
  const out: Buffer[] = [];
  for (let o = 0; o < layer.length; o += HASH_SIZE_V2)
    out.push(layer.subarray(o, o + HASH_SIZE_V2));
  return out;
}

/** Height of a file's tree (layers above the leaves) for a file of `length` bytes. */
export function treeHeight(length: number, pieceLength: number): number {
  const blocks = Math.max(1, Math.ceil(length / BLOCK_SIZE_V2));
  const leaves =
    length <= pieceLength
      ? nextPow2(blocks)
      : nextPow2(Math.ceil(length / pieceLength)) * (pieceLength / BLOCK_SIZE_V2);
  return log2(leaves);
}

export interface HashProof {
  /** The file's pieces root. */
  root: Buffer;
  /** Height of the file's whole tree (`treeHeight`). */
  height: number;
  /** Layer of `hashes` (0: blocks). */
  baseLayer: number;
  /** Index of the first of `hashes` in its layer; a multiple of the (power of two) range width. */
  index: number;
  /** The requested hashes: a power of two of them, or fewer when the layer ends. */
  hashes: readonly Buffer[];
  /** Uncle hashes from the lowest layer up, as many as it takes to reach the root. */
  uncles: readonly Buffer[];
}

/**
 * Checks a BEP 52 `hashes` answer: the requested range of a layer plus uncle hashes must lead to
 * the file's root. The range's width is `length` rounded up to a power of two (a range cut by the
 * layer's end is padded with pad hashes), and it must sit on a multiple of that width.
 */
export function verifyHashProof(p: HashProof): boolean {
  const n = p.hashes.length;
  if (n === 0 || p.baseLayer < 0 || p.baseLayer > p.height) return false;
  const width = nextPow2(n);
  const layerSize = 2 ** (p.height - p.baseLayer);
  if (p.index % width !== 0 || p.index + n > layerSize || width > layerSize) return false;
  let node = layerRoot(p.hashes, p.baseLayer, width);
  let pos = p.index / width;
  let h = p.baseLayer + log2(width);
  if (p.uncles.length !== p.height - h) return false;
  for (const uncle of p.uncles) {
    node = pos % 2 === 0 ? sha256(node, uncle) : sha256(uncle, node);
    pos = Math.floor(pos / 2);
    h++;
  }
  return node.equals(p.root);
}

/**
 * The uncle hashes that prove a range of `width` nodes at index `index` of layer `base`, taken
 * from a full layer at that height (`layer`, padded with pad hashes up to the tree's width).
 */
export function proofUncles(
  layer: readonly Buffer[],
  base: number,
  height: number,
  index: number,
  width: number,
): Buffer[] {
  const uncles: Buffer[] = [];
  let level: Buffer[] = [...layer];
  let h = base;
  let size = 2 ** (height - base);
  // climb to the range's subtree root
  while (2 ** (h - base) < width) {
    level = up(level, h, size);
    size /= 2;
    h++;
  }
  let pos = index / width;
  while (h < height) {
    const sibling = pos ^ 1;
    uncles.push(level[sibling] ?? padHash(h));
    level = up(level, h, size);
    size /= 2;
    pos = Math.floor(pos / 2);
    h++;
  }
  return uncles;
}

function up(level: readonly Buffer[], height: number, size: number): Buffer[] {
  const out: Buffer[] = [];
  const pad = padHash(height);
  for (let i = 0; i < size && i < level.length; i += 2) {
    out.push(sha256(level[i], level[i + 1] ?? pad));
  }
  return out;
}
