/**
 * .torrent files (BEP 3 metainfo) with BEP 12 announce lists, BEP 19 web seeds, BEP 27 private
 * torrents and BEP 47 pad files. BEP 52 (v2) torrents are detected: pure v2 is refused with a
 * clear error, hybrid torrents are read through their v1 part and flagged.
 *
 * Everything inside `info` is validated strictly (it decides what is written to disk and what the
 * info-hash is); the fields outside it (trackers, comment) are type-checked, and empty or
 * duplicate tracker URLs are dropped.
 */
import { createHash } from 'node:crypto';
import {
  BencodeDict,
  BencodeValue,
  RawBencode,
  decode,
  decodeDetailed,
  encode,
  isBytes,
  isDict,
  isInt,
  isList,
} from './bencode';
import { MetainfoError } from './errors';
import { unsafeComponentReason } from './path-safety';

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

export const MIN_PIECE_LENGTH = 1024;
export const MAX_PIECE_LENGTH = 256 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 100_000;
export const DEFAULT_MAX_TORRENT_SIZE = 64 * 1024 * 1024;
export const MAX_PATH_DEPTH = 64;
// v1 torrents nest 5 deep; a BEP 52 file tree nests once per folder level
const BENCODE_DEPTH = MAX_PATH_DEPTH + 8;

function fail(code: string, message: string): never {
  throw new MetainfoError(`metainfo.${code}`, `invalid torrent: ${message}`);
}

function text(v: BencodeValue | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (!isBytes(v)) fail('bad-type', `${what} is not a string`);
  return v.toString('utf8');
}

function nonNegative(v: BencodeValue | undefined, what: string): number {
  if (v === undefined) fail('missing-field', `${what} is missing`);
  if (!isInt(v)) fail('bad-type', `${what} is not an integer`);
  if (v < 0) fail('bad-length', `${what} is negative (${v})`);
  return v;
}

/** A path component as the user will see it; prefers the `.utf-8` variant some clients add. */
function component(v: BencodeValue, what: string): string {
  if (!isBytes(v)) fail('bad-path', `${what} has a component that is not a string`);
  const s = v.toString('utf8');
  const why = unsafeComponentReason(s);
  if (why !== undefined) fail('unsafe-path', `${what} ${JSON.stringify(s)} ${why}`);
  return s;
}

function filePath(dict: BencodeDict, index: number): string[] {
  const what = `files[${index}].path`;
  const raw = dict['path.utf-8'] ?? dict.path;
  if (raw === undefined) fail('missing-field', `${what} is missing`);
  if (!isList(raw)) fail('bad-path', `${what} is not a list`);
  if (raw.length === 0) fail('unsafe-path', `${what} is empty`);
  if (raw.length > MAX_PATH_DEPTH) fail('unsafe-path', `${what} is deeper than ${MAX_PATH_DEPTH}`);
  return raw.map((c) => component(c, what));
}

function attrOf(dict: BencodeDict, what: string): string {
  return text(dict.attr, `${what}.attr`) ?? '';
}

/** Checks and reads an `info` dictionary; `infoBuffer` must be its exact bytes. */
function readInfo(info: BencodeValue, infoBuffer: Buffer, options: MetainfoOptions) {
  if (!isDict(info)) fail('bad-info', '"info" is not a dictionary');
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;

  const metaVersion = info['meta version'];
  const hasV2 = metaVersion !== undefined || info['file tree'] !== undefined;
  if (hasV2 && info.pieces === undefined) {
    fail(
      'v2-unsupported',
      'this is a BitTorrent v2-only torrent (BEP 52); only v1 and hybrid torrents are supported',
    );
  }
  if (metaVersion !== undefined && (!isInt(metaVersion) || metaVersion !== 2)) {
    fail('bad-version', `unknown "meta version" ${String(metaVersion)}`);
  }

  const nameRaw = info['name.utf-8'] ?? info.name;
  if (nameRaw === undefined) fail('missing-field', 'info.name is missing');
  const name = component(nameRaw, 'info.name');

  const pieceLength = info['piece length'];
  if (pieceLength === undefined) fail('missing-field', 'info["piece length"] is missing');
  if (!isInt(pieceLength)) fail('bad-type', 'info["piece length"] is not an integer');
  if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH) {
    fail(
      'bad-piece-length',
      `piece length ${pieceLength} is outside ${MIN_PIECE_LENGTH}..${MAX_PIECE_LENGTH}`,
    );
  }

  const pieces = info.pieces;
  if (pieces === undefined) fail('missing-field', 'info.pieces is missing');
  if (!isBytes(pieces)) fail('bad-type', 'info.pieces is not a string');
  if (pieces.length % 20 !== 0) {
    fail('bad-pieces', `info.pieces is ${pieces.length} bytes, not a multiple of 20`);
  }

  const files: MetainfoFile[] = [];
  let totalLength = 0;
  const multiFile = info.files !== undefined;
  if (multiFile) {
    if (info.length !== undefined) fail('bad-info', 'info has both "length" and "files"');
    const list = info.files;
    if (!isList(list)) fail('bad-type', 'info.files is not a list');
    if (list.length === 0) fail('bad-info', 'info.files is empty');
    if (list.length > maxFiles) fail('too-many-files', `${list.length} files (limit ${maxFiles})`);
    for (let i = 0; i < list.length; i++) {
      const f = list[i];
      if (!isDict(f)) fail('bad-type', `files[${i}] is not a dictionary`);
      const length = nonNegative(f.length, `files[${i}].length`);
      const attr = attrOf(f, `files[${i}]`);
      files.push({
        path: filePath(f, i),
        length,
        offset: totalLength,
        pad: attr.includes('p'),
        attr,
      });
      totalLength += length;
      if (!Number.isSafeInteger(totalLength)) fail('bad-length', 'total length is too large');
    }
    checkUniquePaths(files);
  } else {
    const length = nonNegative(info.length, 'info.length');
    const attr = attrOf(info, 'info');
    files.push({ path: [name], length, offset: 0, pad: false, attr });
    totalLength = length;
  }
  if (totalLength === 0) fail('empty', 'the torrent holds no data (total length 0)');

  const pieceCount = Math.ceil(totalLength / pieceLength);
  if (pieces.length / 20 !== pieceCount) {
    fail(
      'bad-pieces',
      `${pieces.length / 20} piece hashes for ${totalLength} bytes in pieces of ${pieceLength} ` +
        `(expected ${pieceCount})`,
    );
  }

  const priv = info.private;
  if (priv !== undefined && !isInt(priv)) fail('bad-type', 'info.private is not an integer');

  const sha1 = createHash('sha1').update(infoBuffer).digest();
  return {
    infoHash: sha1.toString('hex'),
    infoHashBuffer: sha1,
    ...(hasV2 ? { infoHashV2: createHash('sha256').update(infoBuffer).digest('hex') } : {}),
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
    private: priv === 1,
    hybrid: hasV2,
    ...optional('source', text(info.source, 'info.source')),
  };
}

/** Two files at one path, or a file where another file needs a folder, cannot both be stored. */
function checkUniquePaths(files: MetainfoFile[]): void {
  const seen = new Set<string>();
  const dirs = new Set<string>();
  for (const f of files) {
    const key = f.path.join('/');
    if (seen.has(key) || dirs.has(key)) fail('duplicate-path', `two entries named "${key}"`);
    seen.add(key);
    for (let i = 1; i < f.path.length; i++) dirs.add(f.path.slice(0, i).join('/'));
  }
  for (const d of dirs) {
    if (seen.has(d)) fail('duplicate-path', `"${d}" is both a file and a folder`);
  }
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function announceTiers(top: BencodeDict): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = top['announce-list'];
  if (list !== undefined) {
    if (!isList(list)) fail('bad-type', '"announce-list" is not a list');
    for (const tier of list) {
      if (!isList(tier)) fail('bad-type', '"announce-list" has a tier that is not a list');
      const urls: string[] = [];
      for (const u of tier) {
        const url = text(u, 'an "announce-list" entry')!.trim();
        if (url !== '' && !seen.has(url)) {
          seen.add(url);
          urls.push(url);
        }
      }
      if (urls.length > 0) tiers.push(urls);
    }
  }
  // BEP 12: with a usable announce-list, `announce` is ignored.
  if (tiers.length === 0) {
    const url = text(top.announce, '"announce"')?.trim();
    if (url) tiers.push([url]);
  }
  return tiers;
}

function urlList(top: BencodeDict): string[] {
  const v = top['url-list'];
  if (v === undefined) return [];
  const items = isList(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    const url = text(item, 'a "url-list" entry')!.trim();
    if (url !== '' && !out.includes(url)) out.push(url);
  }
  return out;
}

function parseTop(top: BencodeValue, infoBuffer: Buffer | undefined, options: MetainfoOptions) {
  if (!isDict(top)) fail('not-a-dictionary', 'the file is not a bencoded dictionary');
  if (top.info === undefined || infoBuffer === undefined)
    fail('missing-field', '"info" is missing');
  const info = readInfo(top.info, infoBuffer, options);
  const date = top['creation date'];
  if (date !== undefined && !isInt(date)) fail('bad-type', '"creation date" is not an integer');
  return {
    ...info,
    announce: announceTiers(top),
    urlList: urlList(top),
    ...optional('comment', text(top['comment.utf-8'] ?? top.comment, '"comment"')),
    ...optional('createdBy', text(top['created by'], '"created by"')),
    ...optional('creationDate', date),
  };
}

/** Parses and validates a .torrent file. Throws MetainfoError (or BencodeError) on bad input. */
export function parseTorrent(torrent: Uint8Array, options: MetainfoOptions = {}): Metainfo {
  const { value, raw } = decodeDetailed(torrent, {
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
  return withPieceMethods({ ...readInfo(value, buf, options), announce: [], urlList: [] });
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
