/**
 * Building .torrent files from a description of the files and a stream of their bytes: v1 here,
 * v2 and hybrid (BEP 52) in create-v2.ts.
 * No file access here: `client/engine`'s `createTorrentFromPath` walks the disk and feeds this.
 *
 * The same input always gives byte-identical output: files stay in the given order, dictionary
 * keys are sorted, and no creation date is written unless one is given.
 */
import { Hash, createHash } from 'node:crypto';
import { encode } from './bencode';
import { MetainfoError } from './errors';
import {
  DEFAULT_MAX_FILES,
  MAX_PATH_DEPTH,
  MAX_PIECE_LENGTH,
  Metainfo,
  parseTorrent,
} from './metainfo';
import { TorrentWrapper, encodeTorrent } from './metainfo-encode';
import { unsafeComponentReason } from './path-safety';
import { StreamingV2Hasher, buildTorrentV2, planV2Pieces, type TorrentFormat } from './create-v2';

interface CommonInput extends TorrentWrapper {
  /** Name of the file (single-file) or of the folder (multi-file). */
  name: string;
  /** Bytes per piece; a multiple of 16 KiB. Default: see `choosePieceLength`. */
  pieceLength?: number;
  private?: boolean;
  /** `info.source`: makes the info-hash differ per private tracker (cross-seeding). */
  source?: string;
  /** v1 (default), v2 (BEP 52 only) or hybrid (both: v1 clients read its v1 part). */
  format?: TorrentFormat;
}

export interface CreateFileEntry {
  /** Components under the torrent's folder. */
  path: readonly string[];
  length: number;
}

/** A single file (`length`) or a folder (`files`, in the order their bytes will be streamed). */
export type CreateTorrentInput =
  | (CommonInput & { length: number; files?: undefined })
  | (CommonInput & { files: readonly CreateFileEntry[]; length?: undefined });

export interface CreateOptions {
  /** Called as pieces are hashed, with the number of bytes hashed so far. */
  onProgress?: (bytesHashed: number, totalBytes: number) => void;
}

export interface CreatedTorrent {
  torrent: Buffer;
  metainfo: Metainfo;
}

const BLOCK = 16 * 1024;
export const MIN_CREATE_PIECE_LENGTH = BLOCK;
export const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;
const TARGET_MAX_PIECES = 1600;

/**
 * Piece length for `totalLength` bytes when none is given: the smallest power of two from 16 KiB
 * to 16 MiB that keeps the torrent at or under 1600 pieces. That is mktorrent's size table
 * (≤50 MB → 32 KiB, ≤100 MB → 64 KiB, ... ≤1600 MB → 1 MiB, ... >12800 MB → 16 MiB) extended
 * down to the 16 KiB minimum libtorrent uses, giving 800–1600 pieces for anything from 25 MiB
 * to 25 GiB: piece lists small enough for BEP 9 metadata exchange, pieces small enough to spread.
 */
export function choosePieceLength(totalLength: number): number {
  let pl = MIN_CREATE_PIECE_LENGTH;
  while (pl < MAX_AUTO_PIECE_LENGTH && totalLength > pl * TARGET_MAX_PIECES) pl *= 2;
  return pl;
}

function fail(code: string, message: string): never {
  throw new MetainfoError(`create.${code}`, `cannot create torrent: ${message}`);
}

function checkComponent(c: string, what: string): void {
  const why = unsafeComponentReason(c);
  if (why !== undefined) fail('unsafe-path', `${what} ${JSON.stringify(c)} ${why}`);
}

function checkLength(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    fail('bad-length', `${what} must be a non-negative integer`);
}

/**
 * Validates the input (names, lengths, piece length) without any data, and returns its total
 * length and the piece length that will be used. Throws MetainfoError.
 */
export function planTorrent(input: CreateTorrentInput): {
  totalLength: number;
  pieceLength: number;
} {
  checkComponent(input.name, 'name');
  let totalLength = 0;
  if (input.files !== undefined) {
    if (input.length !== undefined) fail('bad-input', 'give either length or files, not both');
    if (input.files.length === 0) fail('bad-input', 'no files');
    if (input.files.length > DEFAULT_MAX_FILES) {
      fail('too-many-files', `${input.files.length} files (limit ${DEFAULT_MAX_FILES})`);
    }
    const seen = new Set<string>();
    for (const [i, f] of input.files.entries()) {
      if (f.path.length === 0) fail('unsafe-path', `files[${i}] has an empty path`);
      if (f.path.length > MAX_PATH_DEPTH) {
        fail('unsafe-path', `files[${i}] is deeper than ${MAX_PATH_DEPTH} folders`);
      }
      for (const c of f.path) checkComponent(c, `files[${i}].path component`);
      const key = f.path.join('/');
      if (seen.has(key)) fail('duplicate-path', `two files named "${key}"`);
      seen.add(key);
      checkLength(f.length, `files[${i}].length`);
      totalLength += f.length;
    }
  } else {
    checkLength(input.length, 'length');
    totalLength = input.length;
  }
  if (!Number.isSafeInteger(totalLength)) fail('bad-length', 'total length is too large');
  if (totalLength === 0) fail('empty', 'there is no data to share (total length 0)');
  const pieceLength = input.pieceLength ?? choosePieceLength(totalLength);
  if (
    !Number.isInteger(pieceLength) ||
    pieceLength < MIN_CREATE_PIECE_LENGTH ||
    pieceLength > MAX_PIECE_LENGTH ||
    pieceLength % BLOCK !== 0
  ) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} must be a multiple of 16 KiB up to 256 MiB`,
    );
  }
  return { totalLength, pieceLength };
}

/**
 * Hashes a stream of bytes into SHA-1 piece hashes on the calling thread. (Hashing on several
 * cores is the I/O side's business: the engine's `createTorrentFromPath` runs worker threads that
 * read and hash piece ranges themselves, which measured faster than feeding one stream to a
 * thread pool.)
 */
export class StreamingPieceHasher {
  readonly pieceCount: number;
  private readonly hashes: Buffer;
  private next = 0; // index of the piece being filled
  private current: Hash | undefined; // piece that spans several chunks
  private filled = 0;
  private received = 0;

  constructor(
    readonly totalLength: number,
    readonly pieceLength: number,
    private readonly options: CreateOptions = {},
  ) {
    this.pieceCount = Math.ceil(totalLength / pieceLength);
    this.hashes = Buffer.alloc(this.pieceCount * 20);
  }

  private sizeOf(index: number): number {
    return index === this.pieceCount - 1
      ? this.totalLength - index * this.pieceLength
      : this.pieceLength;
  }

  /**
   * Takes the next bytes of the data. Chunks need not align with pieces; nothing is copied, and
   * `chunk` may be reused as soon as this returns.
   */
  push(chunk: Uint8Array): void {
    if (this.received + chunk.length > this.totalLength) {
      fail('size-mismatch', `got more than the announced ${this.totalLength} bytes`);
    }
    this.received += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const size = this.sizeOf(this.next);
      const n = Math.min(size - this.filled, chunk.length - at);
      if (this.current === undefined && n === size) {
        this.finishPiece(createHash('sha1').update(chunk.subarray(at, at + n)));
      } else {
        this.current ??= createHash('sha1');
        this.current.update(chunk.subarray(at, at + n));
        this.filled += n;
        if (this.filled === size) this.finishPiece(this.current);
      }
      at += n;
    }
  }

  private finishPiece(hash: Hash): void {
    hash.digest().copy(this.hashes, this.next * 20);
    this.next++;
    this.current = undefined;
    this.filled = 0;
    this.options.onProgress?.(
      Math.min(this.next * this.pieceLength, this.totalLength),
      this.totalLength,
    );
  }

  /** Returns all the piece hashes, concatenated, once every byte has been pushed. */
  finish(): Buffer {
    if (this.received !== this.totalLength) {
      fail('size-mismatch', `got ${this.received} of the announced ${this.totalLength} bytes`);
    }
    return this.hashes;
  }
}

/** Assembles the .torrent once the piece hashes are known. */
export function buildTorrent(input: CreateTorrentInput, pieces: Uint8Array): CreatedTorrent {
  const { totalLength, pieceLength } = planTorrent(input);
  if ((input.format ?? 'v1') !== 'v1') fail('bad-input', 'buildTorrent makes v1 torrents only');
  if (pieces.length !== Math.ceil(totalLength / pieceLength) * 20) {
    fail('bad-pieces', `${pieces.length} bytes of piece hashes do not fit ${totalLength} bytes`);
  }
  const info = encode({
    files: input.files?.map((f) => ({ length: f.length, path: [...f.path] })),
    length: input.length,
    name: input.name,
    'piece length': pieceLength,
    pieces,
    private: input.private ? 1 : undefined,
    source: input.source,
  });
  const torrent = encodeTorrent(info, input);
  return { torrent, metainfo: parseTorrent(torrent) };
}

/**
 * Hashes `data` (every file's bytes in order, as one stream) and returns the .torrent.
 * Throws MetainfoError if the input is invalid or the data is longer or shorter than announced.
 */
export async function createTorrent(
  input: CreateTorrentInput,
  data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: CreateOptions = {},
): Promise<CreatedTorrent> {
  const { totalLength, pieceLength } = planTorrent(input);
  const format = input.format ?? 'v1';
  if (format !== 'v1') {
    let done = 0;
    const v2 = new StreamingV2Hasher(planV2Pieces(input, format), (n) => {
      done += n;
      options.onProgress?.(done, totalLength);
    });
    for await (const chunk of data) v2.push(chunk);
    return buildTorrentV2(input, format, v2.finish());
  }
  const hasher = new StreamingPieceHasher(totalLength, pieceLength, options);
  for await (const chunk of data) hasher.push(chunk);
  return buildTorrent(input, hasher.finish());
}
