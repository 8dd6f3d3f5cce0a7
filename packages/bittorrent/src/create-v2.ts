/**
 * Building BEP 52 torrents: v2-only, and hybrid (v2 plus a v1 part that v1 clients read). The
 * files are hashed piece by piece, each piece within one file (v2 pieces never cross files):
 * `planV2Pieces` lists the pieces, the caller hashes them (here with `StreamingV2Hasher`, or in a
 * worker pool from disk), and `buildTorrentV2` assembles the torrent.
 *
 * A hybrid's v1 part lists BEP 47 pad files (attr `p`, path `.pad/<length>`) before every file
 * that would not start on a piece boundary, as libtorrent writes them (libtorrent also pads after
 * the last file; nothing needs that), so each v1 piece holds the bytes of one file and zeros:
 * its SHA-1 is taken over the piece padded with zeros to the piece length, except at the very end.
 */
import { createHash } from 'node:crypto';
import { EncodableValue, encode } from './bencode';
import { CreateTorrentInput, CreatedTorrent, planTorrent } from './create';
import { MetainfoError } from './errors';
import { BLOCK_SIZE_V2, layerRoot, blockHashes, nextPow2, rootFromPieceLayer } from './merkle';
import { parseTorrent } from './metainfo';
import { encodeTorrent } from './metainfo-encode';

export type TorrentFormat = 'v1' | 'v2' | 'hybrid';
export const TORRENT_FORMATS: readonly TorrentFormat[] = ['v1', 'v2', 'hybrid'];

function fail(code: string, message: string): never {
  throw new MetainfoError(`create.${code}`, `cannot create torrent: ${message}`);
}

/** One piece to hash: bytes of one file, in the order the files' bytes are read. */
export interface V2PieceJob {
  /** Index of the file in the input's files (0 for a single file). */
  file: number;
  length: number;
  /**
   * Leaves of the v2 tree to hash the piece into: the piece length / 16 KiB, or for a file of one
   * piece its block count rounded up to a power of two (then the hash is the file's root).
   */
  v2Width: number;
  /** Hybrid: SHA-1 over the piece followed by zeros up to this length. */
  sha1Length?: number;
}

function lengthsOf(input: CreateTorrentInput): number[] {
  return input.files ? input.files.map((f) => f.length) : [input.length];
}

/** Files in the order a v2 file tree lists them: path components compared as UTF-8 bytes. */
function treeOrdered(input: CreateTorrentInput): boolean {
  const files = input.files ?? [];
  for (let i = 1; i < files.length; i++) {
    const a = files[i - 1].path.map((c) => Buffer.from(c));
    const b = files[i].path.map((c) => Buffer.from(c));
    let cmp = 0;
    for (let k = 0; k < Math.min(a.length, b.length) && cmp === 0; k++) {
      cmp = Buffer.compare(a[k], b[k]);
    }
    // a path that is a prefix of another is both a file and a folder
    if (cmp === 0) fail('bad-input', `"${files[i].path.join('/')}" is both a file and a folder`);
    if (cmp > 0) return false;
  }
  return true;
}

/** Checks the input for a v2 or hybrid torrent and lists its pieces. */
export function planV2Pieces(input: CreateTorrentInput, format: 'v2' | 'hybrid'): V2PieceJob[] {
  const { pieceLength } = planTorrent(input);
  if ((pieceLength & (pieceLength - 1)) !== 0) {
    fail('bad-piece-length', `a ${format} torrent needs a power of two piece length`);
  }
  if (!treeOrdered(input)) {
    fail('bad-order', 'the files of a v2 torrent must come in file-tree order (sorted by bytes)');
  }
  const lengths = lengthsOf(input);
  const lastWithData = lengths.reduce((last, n, i) => (n > 0 ? i : last), -1);
  const jobs: V2PieceJob[] = [];
  const perPiece = pieceLength / BLOCK_SIZE_V2;
  lengths.forEach((len, file) => {
    const n = Math.ceil(len / pieceLength);
    for (let k = 0; k < n; k++) {
      const length = Math.min(pieceLength, len - k * pieceLength);
      const v2Width = n === 1 ? nextPow2(Math.ceil(length / BLOCK_SIZE_V2)) : perPiece;
      const atEnd = file === lastWithData && k === n - 1;
      jobs.push({
        file,
        length,
        v2Width,
        ...(format === 'hybrid' ? { sha1Length: atEnd ? length : pieceLength } : {}),
      });
    }
  });
  return jobs;
}

/** The hashes of one job, as `hashV2Piece` computes them (in a worker or here). */
export interface V2PieceHashes {
  v2: Buffer;
  sha1?: Buffer;
}

const zeros = Buffer.alloc(BLOCK_SIZE_V2 * 64);

/** Hashes one piece's bytes for its job. */
export function hashV2Piece(data: Uint8Array, job: V2PieceJob): V2PieceHashes {
  const v2 = layerRoot(blockHashes(data), 0, job.v2Width);
  if (job.sha1Length === undefined) return { v2 };
  const sha1 = createHash('sha1').update(data);
  for (let left = job.sha1Length - data.length; left > 0; left -= zeros.length) {
    sha1.update(zeros.subarray(0, Math.min(left, zeros.length)));
  }
  return { v2, sha1: sha1.digest() };
}

/** Hashes the files' bytes streamed in order (any chunking) into the jobs' hashes. */
export class StreamingV2Hasher {
  readonly results: V2PieceHashes[] = [];
  private job = 0;
  private parts: Buffer[] = [];
  private filled = 0;

  constructor(
    private readonly jobs: readonly V2PieceJob[],
    private readonly onPiece?: (bytes: number) => void,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const job = this.jobs[this.job];
      if (!job) fail('size-mismatch', 'got more bytes than the files announced');
      const n = Math.min(job.length - this.filled, chunk.length - at);
      this.parts.push(Buffer.from(chunk.subarray(at, at + n))); // a copy: chunks are reused
      this.filled += n;
      at += n;
      if (this.filled === job.length) {
        this.results.push(hashV2Piece(Buffer.concat(this.parts), job));
        this.onPiece?.(job.length);
        this.parts = [];
        this.filled = 0;
        this.job++;
      }
    }
  }

  finish(): V2PieceHashes[] {
    if (this.job !== this.jobs.length) fail('size-mismatch', 'got fewer bytes than announced');
    return this.results;
  }
}

type Tree = { [k: string]: Tree | EncodableValue };

/** Assembles a v2 or hybrid torrent from its pieces' hashes (in `planV2Pieces` order). */
export function buildTorrentV2(
  input: CreateTorrentInput,
  format: 'v2' | 'hybrid',
  hashes: readonly V2PieceHashes[],
): CreatedTorrent {
  const jobs = planV2Pieces(input, format);
  const { pieceLength } = planTorrent(input);
  if (hashes.length !== jobs.length)
    fail('bad-pieces', `${hashes.length} piece hashes of ${jobs.length}`);
  const lengths = lengthsOf(input);
  const paths = input.files ? input.files.map((f) => [...f.path]) : [[input.name]];
  const tree: Tree = {};
  const layers = new Map<string, Buffer>();
  let j = 0;
  lengths.forEach((length, file) => {
    const leaf: Tree = { length };
    const mine: Buffer[] = [];
    while (j < jobs.length && jobs[j].file === file) mine.push(hashes[j++].v2);
    if (mine.length === 1) leaf['pieces root'] = mine[0];
    if (mine.length > 1) {
      const root = rootFromPieceLayer(mine, pieceLength);
      leaf['pieces root'] = root;
      layers.set(root.toString('latin1'), Buffer.concat(mine));
    }
    let dir = tree;
    const keys = paths[file].map((c) => Buffer.from(c).toString('latin1')); // keys are bytes
    for (const k of keys.slice(0, -1)) dir = (dir[k] ??= {}) as Tree;
    dir[keys[keys.length - 1]] = { '': leaf };
  });

  const info: Record<string, EncodableValue | undefined> = {
    'file tree': tree,
    'meta version': 2,
    name: input.name,
    'piece length': pieceLength,
    private: input.private ? 1 : undefined,
    source: input.source,
  };
  if (format === 'hybrid') {
    info.pieces = Buffer.concat(hashes.map((h) => h.sha1!));
    if (input.files) info.files = v1Files(input, pieceLength);
    else info.length = input.length;
  }
  const torrent = encodeTorrent(encode(info), input, layers);
  return { torrent, metainfo: parseTorrent(torrent) };
}

/** The v1 file list of a hybrid: pad files before each file that would start mid-piece. */
function v1Files(input: CreateTorrentInput, pieceLength: number): EncodableValue[] {
  const out: EncodableValue[] = [];
  let offset = 0;
  for (const f of input.files ?? []) {
    const gap = offset % pieceLength;
    if (f.length > 0 && gap !== 0) {
      const pad = pieceLength - gap;
      out.push({ attr: 'p', length: pad, path: ['.pad', String(pad)] });
      offset += pad;
    }
    out.push({ length: f.length, path: [...f.path] });
    offset += f.length;
  }
  return out;
}
