/**
 * .torrent files (BEP 3 metainfo) with BEP 12 announce lists, BEP 19 web seeds, BEP 27 private
 * torrents and BEP 47 pad files. BEP 52 (v2) torrents are detected: pure v2 is refused with a
 * clear error, hybrid torrents are read through their v1 part (after checking their v2 file tree
 * describes the same files) and flagged.
 *
 * libtorrent 2.0 is the reference for what opens: a torrent it opens opens here with the same
 * info-hash, one it refuses is refused with one line saying why. File names are sanitized as it
 * sanitizes them (path-sanitize.ts) and what changed is listed in `sanitized`; files that end up
 * at one path are renamed apart. Outside `info`, fields of the wrong type are ignored as
 * libtorrent ignores them, and bytes after the top-level dictionary are tolerated.
 */
import { createHash } from 'node:crypto';
import {
  BencodeDict,
  BencodeValue,
  RawBencode,
  decode,
  decodePrefix,
  encode,
  isBytes,
  isDict,
  isInt,
  isList,
} from './bencode';
import { MetainfoError } from './errors';
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
  /** v1 info-hash, SHA-1 of the raw `info` bytes: 40 lowercase hex characters. */
  infoHash: string;
  infoHashBuffer: Buffer;
  /** For hybrid torrents, the v2 info-hash (SHA-256 of `info`) in hex. */
  infoHashV2?: string;
  /** The exact `info` dictionary bytes from the input. */
  infoBuffer: Buffer;
  name: string;
  /** True when `info` has a `files` list (the torrent is a folder named `name`). */
  multiFile: boolean;
  files: MetainfoFile[];
  totalLength: number;
  pieceLength: number;
  pieceCount: number;
  /** Concatenated 20-byte SHA-1 piece hashes. */
  pieces: Buffer;
  private: boolean;
  /** BEP 52 hybrid (v1 + v2) torrent, read through its v1 part. */
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
  if (v2 && info.pieces === undefined) {
    fail(
      'v2-unsupported',
      'this is a BitTorrent v2-only torrent (BEP 52); only v1 and hybrid torrents are supported',
    );
  }

  const pieceLength = info['piece length'];
  if (pieceLength === undefined) fail('missing-field', 'info["piece length"] is missing');
  if (!isInt(pieceLength)) fail('bad-type', 'info["piece length"] is not an integer');
  if (pieceLength <= 0 || pieceLength > MAX_PARSED_PIECE_LENGTH) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} is outside 1..${MAX_PARSED_PIECE_LENGTH}`,
    );
  }
  if (v2 && (pieceLength < BLOCK_V2 || (pieceLength & (pieceLength - 1)) !== 0)) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} of a v2 torrent is not a power of two of at least 16 KiB`,
    );
  }

  const sanitized: SanitizedName[] = [];
  const nameRaw = preferUtf8(info, 'name', isBytes);
  if (nameRaw === undefined) fail('missing-field', 'info.name is missing');
  const multiFile = isList(info.files); // libtorrent reads a `files` of another type as absent
  const nameLt = libtorrentComponent(nameRaw);
  if (!multiFile && (nameRaw.length === 0 || nameLt === null)) {
    fail('missing-field', `info.name ${JSON.stringify(shown([nameRaw]))} is not a file name`);
  }
  // a folder name that is all dots is replaced by the info-hash, as libtorrent does
  const name = portableComponent(nameLt ?? sha1.toString('hex'));
  if (name !== shown([nameRaw])) {
    sanitized.push({
      field: 'info.name',
      original: shown([nameRaw]),
      stored: name,
      reason: 'sanitized',
    });
  }

  const files: MetainfoFile[] = [];
  let totalLength = 0;
  if (multiFile) {
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
    for (const [i, path] of resolveDuplicatePaths(files)) {
      sanitized.push({
        field: `files[${i}].path`,
        original: files[i].path.join('/'),
        stored: path.join('/'),
        reason: 'duplicate',
      });
      files[i] = { ...files[i], path };
    }
  } else {
    const length = nonNegative(info.length, 'info.length');
    files.push({ path: [name], length, offset: 0, pad: false, attr: attrOf(info) });
    totalLength = length;
  }
  if (totalLength === 0) fail('empty', 'the torrent holds no data (total length 0)');

  const pieceCount = Math.ceil(totalLength / pieceLength);
  if (pieceCount > MAX_PIECES)
    fail('too-many-pieces', `${pieceCount} pieces (limit ${MAX_PIECES})`);
  const pieces = info.pieces;
  if (pieces === undefined) fail('missing-field', 'info.pieces is missing');
  if (!isBytes(pieces)) fail('bad-type', 'info.pieces is not a string');
  if (pieces.length !== pieceCount * 20) {
    fail(
      'bad-pieces',
      `info.pieces is ${pieces.length} bytes: ${pieceCount} piece hashes of 20 bytes are needed ` +
        `for ${totalLength} bytes in pieces of ${pieceLength}`,
    );
  }
  const roots = v2 ? checkFileTree(tree as BencodeDict, files, multiFile, pieceLength) : [];

  return {
    infoHash: sha1.toString('hex'),
    infoHashBuffer: sha1,
    ...(v2 ? { infoHashV2: createHash('sha256').update(infoBuffer).digest('hex') } : {}),
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
    hybrid: v2,
    sanitized,
    roots,
    ...optional('source', isBytes(info.source) ? info.source.toString('utf8') : undefined),
  };
}

const BLOCK_V2 = 16 * 1024;

/** A v2 file: its path under the torrent's folder, length, and merkle root (none when empty). */
interface TreeFile {
  path: string[];
  length: number;
  root?: Buffer;
}

/** The files of a BEP 52 file tree in order (keys sorted as bytes, as encoded torrents have them). */
function treeFiles(tree: BencodeDict): TreeFile[] {
  const out: TreeFile[] = [];
  const walk = (dir: BencodeDict, prefix: string[], depth: number): void => {
    if (depth > MAX_PATH_DEPTH)
      fail('bad-file-tree', `the file tree is deeper than ${MAX_PATH_DEPTH}`);
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
        const length = nonNegative(leaf.length, `file tree "${where}" length`);
        const root = leaf['pieces root'];
        if (length > 0 && (!isBytes(root) || root.length !== 32 || root.every((b) => b === 0))) {
          fail('bad-file-tree', `file tree "${where}" has no valid "pieces root"`);
        }
        out.push({ path, length, ...(length > 0 ? { root: root as Buffer } : {}) });
        if (out.length > DEFAULT_MAX_FILES)
          fail('too-many-files', 'too many files in the file tree');
      } else {
        walk(node, path, depth + 1);
      }
    }
  };
  walk(tree, [], 0);
  return out;
}

/**
 * A hybrid torrent's v2 file tree must describe the v1 file list: the same files (pad files
 * aside) with the same paths and lengths, each starting on a piece boundary. libtorrent refuses
 * a hybrid whose two halves disagree, as they would put different bytes in the same file.
 */
function checkFileTree(
  tree: BencodeDict,
  files: readonly MetainfoFile[],
  multiFile: boolean,
  pieceLength: number,
): TreeFile[] {
  const v2 = treeFiles(tree);
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
  return v2;
}

/**
 * BEP 52 `piece layers`: for every file longer than a piece, the SHA-256 of each of its pieces.
 * libtorrent 2.0 refuses a hybrid torrent whose layers miss a file or have the wrong size; it
 * opens one without layers at all, or whose layer does not lead to the file's root (the v1 half
 * still verifies the data), and so does enjambre.
 */
function checkPieceLayers(
  layers: BencodeValue | undefined,
  roots: TreeFile[],
  pieceLength: number,
): void {
  if (!isDict(layers)) return; // peers can send them later (BEP 52 hash requests)
  for (const f of roots) {
    if (f.length <= pieceLength || !f.root) continue;
    const where = f.path.join('/');
    const layer = layers[f.root.toString('latin1')];
    if (!isBytes(layer)) fail('bad-piece-layers', `no piece layer for "${where}"`);
    const count = Math.ceil(f.length / pieceLength);
    if (layer.length !== count * 32) {
      fail(
        'bad-piece-layers',
        `the piece layer of "${where}" is ${layer.length} bytes, not ${count * 32}`,
      );
    }
  }
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

/** Text of an outer field, or undefined when it is missing or of another type (libtorrent ignores those). */
function textOf(v: BencodeValue | undefined): string | undefined {
  return isBytes(v) ? v.toString('utf8') : undefined;
}

function announceTiers(top: BencodeDict): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = top['announce-list'];
  if (isList(list)) {
    for (const tier of list) {
      if (!isList(tier)) continue;
      const urls: string[] = [];
      for (const u of tier) {
        const url = textOf(u)?.trim();
        if (url && !seen.has(url)) {
          seen.add(url);
          urls.push(url);
        }
      }
      if (urls.length > 0) tiers.push(urls);
    }
  }
  // BEP 12: with a usable announce-list, `announce` is ignored.
  if (tiers.length === 0) {
    const url = textOf(top.announce)?.trim();
    if (url) tiers.push([url]);
  }
  return tiers;
}

/** BEP 19 web seeds: one string, or a list whose strings count (other items are skipped). */
function urlList(top: BencodeDict): string[] {
  const v = top['url-list'];
  const items = isList(v) ? v : isBytes(v) ? [v] : [];
  const out: string[] = [];
  for (const item of items) {
    const url = textOf(item)?.trim();
    if (url && !out.includes(url)) out.push(url);
  }
  return out;
}

function parseTop(top: BencodeValue, infoBuffer: Buffer | undefined, options: MetainfoOptions) {
  if (!isDict(top)) fail('not-a-dictionary', 'the file is not a bencoded dictionary');
  if (top.info === undefined || infoBuffer === undefined)
    fail('missing-field', '"info" is missing');
  const { roots, ...info } = readInfo(top.info, infoBuffer, options);
  if (info.hybrid) checkPieceLayers(top['piece layers'], roots, info.pieceLength);
  const date = top['creation date'];
  return {
    ...info,
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
  const { roots, ...parsed } = readInfo(value, buf, options);
  void roots;
  return withPieceMethods({ ...parsed, announce: [], urlList: [] });
}

export interface TorrentWrapper {
  /** Tracker tiers, or a flat list meaning one tracker per tier (as mktorrent writes them). */
  announce?: readonly (readonly string[])[] | readonly string[];
  urlList?: readonly string[];
  comment?: string;
  createdBy?: string;
  creationDate?: number;
}

/** Normalizes `announce` input into tiers of non-empty URLs. */
export function toTiers(announce: TorrentWrapper['announce']): string[][] {
  if (announce === undefined) return [];
  const tiers = announce.map((t) => (typeof t === 'string' ? [t] : [...t]));
  return tiers.map((t) => t.filter((u) => u !== '')).filter((t) => t.length > 0);
}

/**
 * Wraps a raw `info` dictionary (kept byte for byte, so the info-hash does not change) into a
 * .torrent with trackers and the other outer fields.
 */
export function encodeTorrent(info: Uint8Array, wrapper: TorrentWrapper = {}): Buffer {
  parseInfoDictionary(info); // refuse to write a torrent we could not read back
  const tiers = toTiers(wrapper.announce);
  const urls = wrapper.urlList?.filter((u) => u !== '') ?? [];
  if (wrapper.creationDate !== undefined && !Number.isSafeInteger(wrapper.creationDate)) {
    throw new MetainfoError('metainfo.bad-type', 'creationDate must be an integer (seconds)');
  }
  return encode({
    announce: tiers.length > 0 ? tiers[0][0] : undefined,
    // A single tracker needs no announce-list; several keep their tiers.
    'announce-list': tiers.length > 1 || (tiers[0]?.length ?? 0) > 1 ? tiers : undefined,
    comment: wrapper.comment,
    'created by': wrapper.createdBy,
    'creation date': wrapper.creationDate,
    info: new RawBencode(info),
    'url-list': urls.length === 0 ? undefined : urls.length === 1 ? urls[0] : urls,
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
      return m.pieces.subarray(index * 20, index * 20 + 20);
    },
    pieceSize(index: number): number {
      checkIndex(m, index);
      return index === m.pieceCount - 1 ? m.totalLength - index * m.pieceLength : m.pieceLength;
    },
  };
}
