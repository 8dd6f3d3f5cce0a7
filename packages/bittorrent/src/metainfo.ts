/**
 * .torrent files (BEP 3 metainfo) with BEP 12 announce lists, BEP 19 web seeds, BEP 27 private
 * torrents and BEP 47 pad files, and BEP 52 v2 and hybrid torrents (their v2 half in
 * metainfo-v2.ts): a v2-only torrent is laid out with pad files as a hybrid's v1 part would be,
 * and its 20-byte `infoHash` is the v2 info-hash truncated, as it goes on the wire, to trackers
 * and the DHT.
 *
 * libtorrent 2.0 is the reference for what opens: a torrent it opens opens here with the same
 * info-hash, one it refuses is refused with one line saying why. File names are sanitized as it
 * sanitizes them (path-sanitize.ts) and what changed is listed in `sanitized`; files that end up
 * at one path are renamed apart. Outside `info`, fields of the wrong type are ignored as
 * libtorrent ignores them, and bytes after the top-level dictionary are tolerated.
 */
import { createHash } from 'node:crypto';
import { BLOCK_SIZE_V2 } from './merkle';
import {
  BencodeDict,
  BencodeValue,
  decode,
  decodePrefix,
  isBytes,
  isDict,
  isInt,
  isList,
} from './bencode';
import { MetainfoError } from './errors';
import { announceTiers, textOf, urlList } from './metainfo-outer';
import {
  TreeFile,
  checkHybridFiles,
  layOut,
  readPieceLayers,
  singleFileTree,
  treeFiles,
} from './metainfo-v2';
import {
  libtorrentComponent,
  portableComponent,
  resolveDuplicatePaths,
  sanitizePath,
} from './path-sanitize';

export interface MetainfoFile {
  /** Path components under the torrent's folder (multi-file) or `[name]` (single-file). */
  path: string[];
  length: number;
  /** Offset of the file's first byte in the torrent's concatenated data. */
  offset: number;
  /** BEP 47 pad file: zeros that only align the next file to a piece boundary. */
  pad: boolean;
  /** BEP 47 attributes as given (`p` pad, `x` executable, `h` hidden, `l` symlink), or ''. */
  attr: string;
}

/** A name the torrent carries that is stored under another name (see path-sanitize.ts). */
export interface SanitizedName {
  /** `info.name` or `files[i].path`. */
  field: string;
  /** As the torrent has it (invalid UTF-8 shown as U+FFFD, components joined by `/`). */
  original: string;
  /** As enjambre stores it. */
  stored: string;
  /** Why: `sanitized` (unsafe components rewritten) or `duplicate` (renamed apart). */
  reason: 'sanitized' | 'duplicate';
}

export interface Metainfo {
  /**
   * The info-hash used on the wire, with trackers and the DHT, as 40 lowercase hex characters:
   * the v1 info-hash (SHA-1 of the raw `info` bytes) of v1 and hybrid torrents, the v2 info-hash
   * truncated to 20 bytes of a v2-only torrent.
   */
  infoHash: string;
  infoHashBuffer: Buffer;
  /** 1 for v1 torrents, 2 for v2-only and hybrid torrents (`hybrid` tells those apart). */
  metaVersion: 1 | 2;
  /** For v2 and hybrid torrents, the v2 info-hash (SHA-256 of `info`) in hex. */
  infoHashV2?: string;
  infoHashV2Buffer?: Buffer;
  /** v2 and hybrid: each file's BEP 52 pieces root, by index into `files` (none for pad and empty files). */
  piecesRoots?: (Buffer | undefined)[];
  /**
   * v2 and hybrid: the piece layers the torrent carries (checked against their roots), by index
   * into `files`. Files no longer than a piece need none; others missing here come from peers.
   */
  pieceLayers?: Map<number, Buffer>;
  /** The exact `info` dictionary bytes from the input. */
  infoBuffer: Buffer;
  name: string;
  /** True when `info` has a `files` list (the torrent is a folder named `name`). */
  multiFile: boolean;
  files: MetainfoFile[];
  totalLength: number;
  pieceLength: number;
  pieceCount: number;
  /** Concatenated 20-byte SHA-1 piece hashes (empty for a v2-only torrent). */
  pieces: Buffer;
  private: boolean;
  /** BEP 52 hybrid (v1 + v2) torrent. */
  hybrid: boolean;
  /** Names stored differently from how the torrent gives them; empty for most torrents. */
  sanitized: SanitizedName[];
  /** The `source` field some private trackers put in `info`. */
  source?: string;
  /** Tracker tiers (BEP 12); from `announce` alone when there is no `announce-list`. */
  announce: string[][];
  /** Web seeds (BEP 19 `url-list`). */
  urlList: string[];
  comment?: string;
  createdBy?: string;
  /** Seconds since the epoch. */
  creationDate?: number;
  /** SHA-1 of piece `index` as the torrent gives it (a 20-byte view into `pieces`). */
  pieceHash(index: number): Buffer;
  /** Length of piece `index`: `pieceLength`, except possibly the last piece. */
  pieceSize(index: number): number;
}

export interface MetainfoOptions {
  /** Largest .torrent accepted, in bytes. Default 64 MiB. */
  maxSize?: number;
  /** Most files accepted (pad files included). Default 100,000. */
  maxFiles?: number;
}

/** Piece lengths `createTorrent` makes. */
export const MIN_PIECE_LENGTH = 1024;
export const MAX_PIECE_LENGTH = 256 * 1024 * 1024;
/**
 * Piece lengths a torrent may have: libtorrent takes 1 .. 2^30 - 1 (v2: powers of two from
 * 16 KiB); enjambre stops at 256 MiB, as a whole piece is held in memory while it is verified.
 */
export const MAX_PARSED_PIECE_LENGTH = MAX_PIECE_LENGTH;
/** libtorrent's default limit on the number of pieces (`load_torrent_limits::max_pieces`). */
export const MAX_PIECES = 0x200000;
export const DEFAULT_MAX_FILES = 100_000;
export const DEFAULT_MAX_TORRENT_SIZE = 64 * 1024 * 1024;
export const MAX_PATH_DEPTH = 64;
// v1 torrents nest 5 deep; a BEP 52 file tree nests once per folder level
const BENCODE_DEPTH = MAX_PATH_DEPTH + 8;

function fail(code: string, message: string): never {
  throw new MetainfoError(`metainfo.${code}`, `invalid torrent: ${message}`);
}

function nonNegative(v: BencodeValue | undefined, what: string): number {
  if (v === undefined) fail('missing-field', `${what} is missing`);
  if (!isInt(v)) fail('bad-type', `${what} is not an integer`);
  if (v < 0) fail('bad-length', `${what} is negative (${v})`);
  return v;
}

/** The display form of raw name bytes (for messages and the `sanitized` list). */
function shown(raw: readonly Buffer[]): string {
  return raw.map((b) => b.toString('utf8')).join('/');
}

/** A `.utf-8` variant when it has the right type (libtorrent prefers it), else the plain key. */
function preferUtf8<T extends BencodeValue>(
  dict: BencodeDict,
  key: string,
  is: (v: BencodeValue | undefined) => v is T,
): T | undefined {
  const utf8 = dict[`${key}.utf-8`];
  if (is(utf8)) return utf8;
  const plain = dict[key];
  return is(plain) ? plain : undefined;
}

/** Sanitized path components of `files[index]`, or undefined for a pad file without a path. */
function filePath(dict: BencodeDict, index: number): { raw: Buffer[]; path: string[] } | undefined {
  const what = `files[${index}].path`;
  const list = preferUtf8(dict, 'path', isList);
  if (list === undefined || list.length === 0) return undefined;
  if (list.length > MAX_PATH_DEPTH) fail('unsafe-path', `${what} is deeper than ${MAX_PATH_DEPTH}`);
  const raw = list.map((c) => {
    if (!isBytes(c)) fail('bad-path', `${what} has a component that is not a string`);
    return c;
  });
  return { raw, path: sanitizePath(raw) };
}

function attrOf(dict: BencodeDict): string {
  const v = dict.attr;
  return isBytes(v) ? v.toString('latin1') : '';
}

/** What libtorrent reads where it wants an integer: the value, or `fallback` for another type. */
function intOr(v: BencodeValue | undefined, fallback: number): number {
  return isInt(v) ? v : fallback;
}

/** The files of a v1 (or hybrid) `info`: its `files` list, or one file named `name`. */
function v1Files(
  info: BencodeDict,
  name: string,
  multiFile: boolean,
  maxFiles: number,
  sanitized: SanitizedName[],
): MetainfoFile[] {
  if (!multiFile) {
    const length = nonNegative(info.length, 'info.length');
    return [{ path: [name], length, offset: 0, pad: false, attr: attrOf(info) }];
  }
  const files: MetainfoFile[] = [];
  let totalLength = 0;
  const list = info.files as BencodeValue[];
  if (list.length === 0) fail('bad-info', 'info.files is empty');
  if (list.length > maxFiles) fail('too-many-files', `${list.length} files (limit ${maxFiles})`);
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    if (!isDict(f)) fail('bad-type', `files[${i}] is not a dictionary`);
    const attr = attrOf(f);
    // a BEP 47 symlink takes no bytes of the torrent's data, whatever length it claims
    const length = attr.includes('l') ? 0 : nonNegative(f.length, `files[${i}].length`);
    let pad = attr.includes('p');
    const p = filePath(f, i);
    if (!p && !pad) fail('missing-field', `files[${i}].path is missing or empty`);
    const path = p?.path ?? ['.pad', String(length)];
    // BitComet's pad files carry no attribute, only this name
    if (path.some((c) => c.includes('_____padding_file_'))) pad = true;
    if (p && path.join('/') !== shown(p.raw)) {
      sanitized.push({
        field: `files[${i}].path`,
        original: shown(p.raw),
        stored: path.join('/'),
        reason: 'sanitized',
      });
    }
    files.push({ path, length, offset: totalLength, pad, attr });
    totalLength += length;
    if (!Number.isSafeInteger(totalLength)) fail('bad-length', 'total length is too large');
  }
  renameDuplicates(files, sanitized);
  return files;
}

function renameDuplicates(files: MetainfoFile[], sanitized: SanitizedName[]): void {
  for (const [i, path] of resolveDuplicatePaths(files)) {
    sanitized.push({
      field: `files[${i}].path`,
      original: files[i].path.join('/'),
      stored: path.join('/'),
      reason: 'duplicate',
    });
    files[i] = { ...files[i], path };
  }
}

/** The v2 half: the tree's files, and for a v2-only torrent the laid-out file list. */
function v2Files(
  tree: BencodeDict,
  hybrid: boolean,
  v1: MetainfoFile[],
  multiFile: boolean,
  pieceLength: number,
  maxFiles: number,
  sanitized: SanitizedName[],
): { files: MetainfoFile[]; tree: TreeFile[]; fileOfTree: number[] } {
  const tf = treeFiles(tree, maxFiles);
  if (hybrid) {
    checkHybridFiles(tf, v1, multiFile, pieceLength);
    const fileOfTree = v1.flatMap((f, i) => (f.pad ? [] : [i]));
    return { files: v1, tree: tf, fileOfTree };
  }
  const laid = layOut(tf, pieceLength);
  // a single-file v2 torrent is named by its one file (libtorrent shows that name too)
  const files: MetainfoFile[] = laid.map(({ path, length, offset, pad, attr }) => ({
    path,
    length,
    offset,
    pad,
    attr,
  }));
  if (multiFile) renameDuplicates(files, sanitized);
  const fileOfTree: number[] = [];
  laid.forEach((f, i) => {
    if (f.treeIndex >= 0) fileOfTree[f.treeIndex] = i;
  });
  return { files, tree: tf, fileOfTree };
}

/** Checks and reads an `info` dictionary; `infoBuffer` must be its exact bytes. */
function readInfo(info: BencodeValue, infoBuffer: Buffer, options: MetainfoOptions) {
  if (!isDict(info)) fail('bad-info', '"info" is not a dictionary');
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const sha1 = createHash('sha1').update(infoBuffer).digest();

  // as libtorrent reads it: anything but an integer means "no version" (v1)
  const version = intOr(info['meta version'], -1);
  if (version > 2) fail('bad-version', `unknown "meta version" ${version}`);
  const v2 = version === 2;
  const tree = info['file tree'];
  if (!v2 && isDict(tree)) {
    fail('bad-version', 'info has a v2 "file tree" but no "meta version" 2');
  }
  if (v2 && !isDict(tree)) fail('bad-file-tree', 'a v2 torrent without a "file tree"');
  // a v2 torrent with v1 piece hashes too is a hybrid
  const hybrid = v2 && info.pieces !== undefined;
  const sha256 = v2 ? createHash('sha256').update(infoBuffer).digest() : undefined;
  const wireHash = v2 && !hybrid ? sha256!.subarray(0, 20) : sha1;

  const pieceLength = info['piece length'];
  if (pieceLength === undefined) fail('missing-field', 'info["piece length"] is missing');
  if (!isInt(pieceLength)) fail('bad-type', 'info["piece length"] is not an integer');
  if (pieceLength <= 0 || pieceLength > MAX_PARSED_PIECE_LENGTH) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} is outside 1..${MAX_PARSED_PIECE_LENGTH}`,
    );
  }
  if (v2 && (pieceLength < BLOCK_SIZE_V2 || (pieceLength & (pieceLength - 1)) !== 0)) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} of a v2 torrent is not a power of two of at least 16 KiB`,
    );
  }

  const sanitized: SanitizedName[] = [];
  const nameRaw = preferUtf8(info, 'name', isBytes);
  if (nameRaw === undefined) fail('missing-field', 'info.name is missing');
  // libtorrent reads a `files` of another type as absent
  const multiFile = v2 && !hybrid ? !singleFileTree(tree as BencodeDict) : isList(info.files);
  const nameLt = libtorrentComponent(
    v2 && !hybrid && !multiFile
      ? Buffer.from(Object.keys(tree as BencodeDict)[0], 'latin1')
      : nameRaw,
  );
  if (!multiFile && (nameRaw.length === 0 || nameLt === null)) {
    fail('missing-field', `info.name ${JSON.stringify(shown([nameRaw]))} is not a file name`);
  }
  // a folder name that is all dots is replaced by the info-hash, as libtorrent does
  const name = portableComponent(nameLt ?? wireHash.toString('hex'));
  if (name !== shown([nameRaw])) {
    sanitized.push({
      field: 'info.name',
      original: shown([nameRaw]),
      stored: name,
      reason: 'sanitized',
    });
  }

  let files = hybrid || !v2 ? v1Files(info, name, multiFile, maxFiles, sanitized) : [];
  const half = v2
    ? v2Files(tree as BencodeDict, hybrid, files, multiFile, pieceLength, maxFiles, sanitized)
    : undefined;
  if (half) files = half.files;
  if (v2 && !hybrid && !multiFile) files = [{ ...files[0], path: [name] }, ...files.slice(1)];
  const last = files[files.length - 1];
  const totalLength = last.offset + last.length;
  if (totalLength === 0) fail('empty', 'the torrent holds no data (total length 0)');

  const pieceCount = Math.ceil(totalLength / pieceLength);
  if (pieceCount > MAX_PIECES)
    fail('too-many-pieces', `${pieceCount} pieces (limit ${MAX_PIECES})`);
  const pieces = v2 && !hybrid ? Buffer.alloc(0) : info.pieces;
  if (pieces === undefined) fail('missing-field', 'info.pieces is missing');
  if (!isBytes(pieces)) fail('bad-type', 'info.pieces is not a string');
  if ((!v2 || hybrid) && pieces.length !== pieceCount * 20) {
    fail(
      'bad-pieces',
      `info.pieces is ${pieces.length} bytes: ${pieceCount} piece hashes of 20 bytes are needed ` +
        `for ${totalLength} bytes in pieces of ${pieceLength}`,
    );
  }
  const piecesRoots = half ? files.map(() => undefined as Buffer | undefined) : undefined;
  half?.fileOfTree.forEach((fi, ti) => {
    piecesRoots![fi] = half.tree[ti].root;
  });

  return {
    infoHash: wireHash.toString('hex'),
    infoHashBuffer: Buffer.from(wireHash),
    metaVersion: (v2 ? 2 : 1) as 1 | 2,
    ...(sha256 ? { infoHashV2: sha256.toString('hex'), infoHashV2Buffer: sha256 } : {}),
    ...(piecesRoots ? { piecesRoots } : {}),
    // Own copies: the result must not change if the caller reuses its input buffer, nor pin
    // all of it (a large comment, say) in memory.
    infoBuffer: Buffer.from(infoBuffer),
    name,
    multiFile,
    files,
    totalLength,
    pieceLength,
    pieceCount,
    pieces: Buffer.from(pieces),
    // libtorrent: any integer but 0 makes the torrent private
    private: intOr(info.private, 0) !== 0,
    hybrid,
    sanitized,
    half,
    ...optional('source', isBytes(info.source) ? info.source.toString('utf8') : undefined),
  };
}

/** The piece layers of `top`, by index into `files`. */
function layersOf(
  top: BencodeDict | undefined,
  half: { tree: TreeFile[]; fileOfTree: number[] } | undefined,
  pieceLength: number,
): { pieceLayers?: Map<number, Buffer> } {
  if (!half) return {};
  const byTree = readPieceLayers(top?.['piece layers'], half.tree, pieceLength);
  const pieceLayers = new Map<number, Buffer>();
  for (const [ti, layer] of byTree) pieceLayers.set(half.fileOfTree[ti], layer);
  return { pieceLayers };
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function parseTop(top: BencodeValue, infoBuffer: Buffer | undefined, options: MetainfoOptions) {
  if (!isDict(top)) fail('not-a-dictionary', 'the file is not a bencoded dictionary');
  if (top.info === undefined || infoBuffer === undefined)
    fail('missing-field', '"info" is missing');
  const { half, ...info } = readInfo(top.info, infoBuffer, options);
  const date = top['creation date'];
  return {
    ...info,
    ...layersOf(top, half, info.pieceLength),
    announce: announceTiers(top),
    urlList: urlList(top),
    ...optional('comment', textOf(top['comment.utf-8']) ?? textOf(top.comment)),
    ...optional('createdBy', textOf(top['created by'])),
    ...optional('creationDate', isInt(date) && date >= 0 ? date : undefined),
  };
}

/** Parses and validates a .torrent file. Throws MetainfoError (or BencodeError) on bad input. */
export function parseTorrent(torrent: Uint8Array, options: MetainfoOptions = {}): Metainfo {
  // bytes after the top-level dictionary are tolerated, as libtorrent tolerates them
  const { value, raw } = decodePrefix(torrent, {
    maxSize: options.maxSize ?? DEFAULT_MAX_TORRENT_SIZE,
    maxDepth: BENCODE_DEPTH,
    rawKeys: ['info'],
  });
  return withPieceMethods(parseTop(value, raw.info, options));
}

/**
 * Reads a bare `info` dictionary, e.g. metadata fetched from peers for a magnet link (BEP 9);
 * the caller checks that its info-hash is the one it asked for. Trackers come from elsewhere.
 */
export function parseInfoDictionary(info: Uint8Array, options: MetainfoOptions = {}): Metainfo {
  const buf = Buffer.from(info.buffer, info.byteOffset, info.byteLength);
  const value = decode(buf, {
    maxSize: options.maxSize ?? DEFAULT_MAX_TORRENT_SIZE,
    maxDepth: BENCODE_DEPTH,
  });
  // no piece layers travel with a bare info dictionary: v2 peers send them (BEP 52 hash messages)
  const { half, ...parsed } = readInfo(value, buf, options);
  return withPieceMethods({
    ...parsed,
    ...layersOf(undefined, half, parsed.pieceLength),
    announce: [],
    urlList: [],
  });
}

type PieceFields = Pick<Metainfo, 'pieces' | 'pieceCount' | 'pieceLength' | 'totalLength'>;

function checkIndex(m: PieceFields, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= m.pieceCount) {
    throw new RangeError(`piece index ${index} out of range 0..${m.pieceCount - 1}`);
  }
}

function withPieceMethods<T extends PieceFields>(
  m: T,
): T & Pick<Metainfo, 'pieceHash' | 'pieceSize'> {
  return {
    ...m,
    pieceHash(index: number): Buffer {
      checkIndex(m, index);
      if (m.pieces.length === 0)
        throw new RangeError('a v2-only torrent has no SHA-1 piece hashes');
      return m.pieces.subarray(index * 20, index * 20 + 20);
    },
    pieceSize(index: number): number {
      checkIndex(m, index);
      return index === m.pieceCount - 1 ? m.totalLength - index * m.pieceLength : m.pieceLength;
    },
  };
}
