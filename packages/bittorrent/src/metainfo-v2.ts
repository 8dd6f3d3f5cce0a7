/**
 * The BEP 52 (v2) half of a torrent: the `file tree`, each file's `pieces root`, and the
 * `piece layers` outside `info`. metainfo.ts reads v1 and hybrid torrents' v1 part and calls in
 * here for the rest.
 *
 * A v2 torrent's files each start on a piece boundary. enjambre lays a v2-only torrent out as
 * libtorrent does: a BEP 47 pad file after every file that does not end on a piece boundary, the
 * last one included, so pieces, offsets and the engine's storage work as for a hybrid's v1 part,
 * and every piece has the length libtorrent gives it (its peers ask for whole pieces).
 *
 * libtorrent 2.0.8 is the reference for what opens: a piece layer whose size is wrong for its
 * file, or whose hashes do not lead to the file's pieces root, is refused (its `torrent_info` and
 * its `add_torrent`); a file without a layer is accepted (peers send the hashes later), and a
 * layer keyed by no file's root is ignored.
 */
import { BencodeDict, BencodeValue, isBytes, isDict, isInt } from './bencode';
import { MetainfoError } from './errors';
import { BLOCK_SIZE_V2, rootFromPieceLayer, splitHashes } from './merkle';
import { libtorrentComponent, portableComponent } from './path-sanitize';

export const MAX_PATH_DEPTH_V2 = 64;

function fail(code: string, message: string): never {
  throw new MetainfoError(`metainfo.${code}`, `invalid torrent: ${message}`);
}

/** A v2 file: its path under the torrent's folder, length, and merkle root (none when empty). */
export interface TreeFile {
  path: string[];
  length: number;
  root?: Buffer;
  /** BEP 47 attributes of the leaf (`x` executable, ...), or ''. */
  attr: string;
}

/** The files of a BEP 52 file tree in order (keys sorted as bytes, as encoded torrents have them). */
export function treeFiles(tree: BencodeDict, maxFiles: number): TreeFile[] {
  const out: TreeFile[] = [];
  const walk = (dir: BencodeDict, prefix: string[], depth: number): void => {
    if (depth > MAX_PATH_DEPTH_V2)
      fail('bad-file-tree', `the file tree is deeper than ${MAX_PATH_DEPTH_V2}`);
    // keys are latin1 strings of the raw bytes, so this sorts them as bytes
    for (const key of Object.keys(dir).sort()) {
      const node = dir[key];
      const where = [...prefix, key].join('/');
      if (key === '' || !isDict(node))
        fail('bad-file-tree', `file tree entry "${where}" is not a folder or file`);
      const keys = Object.keys(node);
      const c = libtorrentComponent(Buffer.from(key, 'latin1'));
      const path = c === null ? prefix : [...prefix, portableComponent(c)];
      if (keys.length === 1 && keys[0] === '') {
        const leaf = node[''];
        if (!isDict(leaf)) fail('bad-file-tree', `file tree entry "${where}" is not a dictionary`);
        const length = leaf.length;
        if (!isInt(length) || length < 0) {
          fail('bad-file-tree', `file tree "${where}" has no valid length`);
        }
        const root = leaf['pieces root'];
        if (length > 0 && (!isBytes(root) || root.length !== 32 || root.every((b) => b === 0))) {
          fail('bad-file-tree', `file tree "${where}" has no valid "pieces root"`);
        }
        const attr = isBytes(leaf.attr) ? leaf.attr.toString('latin1') : '';
        out.push({
          path,
          length,
          attr,
          ...(length > 0 ? { root: Buffer.from(root as Buffer) } : {}),
        });
        if (out.length > maxFiles) fail('too-many-files', `more than ${maxFiles} files`);
      } else {
        walk(node, path, depth + 1);
      }
    }
  };
  walk(tree, [], 0);
  if (out.length === 0) fail('bad-file-tree', 'the file tree holds no file');
  return out;
}

/** Is this tree one file at its top (a single-file torrent)? */
export function singleFileTree(tree: BencodeDict): boolean {
  const keys = Object.keys(tree);
  if (keys.length !== 1) return false;
  const node = tree[keys[0]];
  return isDict(node) && Object.keys(node).length === 1 && Object.keys(node)[0] === '';
}

export interface LaidOutFile {
  path: string[];
  length: number;
  offset: number;
  pad: boolean;
  attr: string;
  /** Index into the tree's file list, or -1 for a pad file. */
  treeIndex: number;
}

/** A v2-only torrent's files, each followed by a pad file up to the next piece boundary. */
export function layOut(files: readonly TreeFile[], pieceLength: number): LaidOutFile[] {
  const out: LaidOutFile[] = [];
  let offset = 0;
  files.forEach((f, i) => {
    out.push({ path: f.path, length: f.length, offset, pad: false, attr: f.attr, treeIndex: i });
    offset += f.length;
    if (!Number.isSafeInteger(offset)) fail('bad-length', 'total length is too large');
    const gap = offset % pieceLength;
    if (gap !== 0) {
      const length = pieceLength - gap;
      const pad = { path: ['.pad', String(length)], length, offset, pad: true, attr: 'p' };
      out.push({ ...pad, treeIndex: -1 });
      offset += length;
    }
  });
  return out;
}

/**
 * A hybrid torrent's v2 file tree must describe the v1 file list: the same files (pad files
 * aside) with the same paths and lengths, each starting on a piece boundary. libtorrent refuses
 * a hybrid whose two halves disagree, as they would put different bytes in the same file.
 */
export function checkHybridFiles(
  v2: readonly TreeFile[],
  files: readonly { path: string[]; length: number; offset: number; pad: boolean }[],
  multiFile: boolean,
  pieceLength: number,
): void {
  const v1 = files.filter((f) => !f.pad);
  const mismatch = (why: string): never =>
    fail('inconsistent-files', `the v2 file tree does not match the v1 file list: ${why}`);
  if (v2.length !== v1.length) mismatch(`${v2.length} files against ${v1.length}`);
  v1.forEach((f, i) => {
    const t = v2[i];
    const p1 = f.path.join('/');
    const p2 = t.path.join('/');
    if ((multiFile || v2.length > 1) && p1 !== p2) mismatch(`file ${i} is "${p2}" against "${p1}"`);
    if (t.length !== f.length) mismatch(`"${p1}" is ${t.length} bytes against ${f.length}`);
    if (i > 0 && f.length > 0 && f.offset % pieceLength !== 0) {
      mismatch(`"${p1}" does not start on a piece boundary (pad files are missing)`);
    }
  });
}

/**
 * BEP 52 `piece layers`: for every file longer than a piece, the SHA-256 merkle hash of each of
 * its pieces. Returns the layers found, by index into `files`, each checked against its root.
 */
export function readPieceLayers(
  layers: BencodeValue | undefined,
  files: readonly TreeFile[],
  pieceLength: number,
): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  if (!isDict(layers)) return out; // peers can send them later (BEP 52 hash requests)
  for (const [key, value] of Object.entries(layers)) {
    // keys are latin1 strings of the raw bytes: one character per byte
    if (key.length !== 32 || !isBytes(value)) {
      fail('bad-piece-layers', 'a piece layer is not a string keyed by a 32-byte root');
    }
  }
  files.forEach((f, i) => {
    if (f.length <= pieceLength || !f.root) return;
    const where = f.path.join('/');
    const layer = layers[f.root.toString('latin1')];
    if (layer === undefined) return;
    if (!isBytes(layer)) return;
    const count = Math.ceil(f.length / pieceLength);
    if (layer.length !== count * 32) {
      fail(
        'bad-piece-layers',
        `the piece layer of "${where}" is ${layer.length} bytes, not ${count * 32}`,
      );
    }
    if (!rootFromPieceLayer(splitHashes(layer), pieceLength).equals(f.root)) {
      fail('bad-piece-layers', `the piece layer of "${where}" does not match its pieces root`);
    }
    out.set(i, Buffer.from(layer));
  });
  return out;
}

/** Where a piece of a v2 torrent lies: in one file (pieces never cross files in v2). */
export interface V2Piece {
  /** Index into the torrent's `files` (pad files included). */
  fileIndex: number;
  /** The file's pieces root. */
  root: Buffer;
  /** Index of this piece among the file's pieces. */
  pieceInFile: number;
  /** The file's bytes in this piece (less than the piece length for a file's last piece). */
  length: number;
  /** Number of pieces of the file. */
  filePieces: number;
}

/** Finds the file holding piece `index`; undefined for a piece of pad bytes only. */
export function v2Piece(
  files: readonly { length: number; offset: number; pad: boolean }[],
  roots: readonly (Buffer | undefined)[],
  pieceLength: number,
  index: number,
): V2Piece | undefined {
  const start = index * pieceLength;
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (files[mid].offset <= start) lo = mid;
    else hi = mid - 1;
  }
  // several files may start here when some are empty; take the one with bytes
  let i = lo;
  while (i < files.length && files[i].offset <= start && files[i].offset + files[i].length <= start)
    i++;
  const f = files[i];
  const root = roots[i];
  if (!f || f.pad || !root || f.offset > start) return undefined;
  const pieceInFile = (start - f.offset) / pieceLength;
  return {
    fileIndex: i,
    root,
    pieceInFile,
    length: Math.min(pieceLength, f.offset + f.length - start),
    filePieces: Math.ceil(f.length / pieceLength),
  };
}

/** The 16 KiB blocks a piece of `pieceLength` bytes holds (the piece layer's height above them). */
export function blocksPerPiece(pieceLength: number): number {
  return pieceLength / BLOCK_SIZE_V2;
}
