/**
 * The engine's view of a torrent's metainfo: only what the engine needs, already validated.
 * `fromMetainfo` (metainfo-adapter.ts) builds it from the protocol core's parsed metainfo, so the
 * rest of the engine never depends on the parser's shape.
 */
import { BLOCK_SIZE_V2, nextPow2, v2Piece } from '@enjambre/bittorrent';

export interface MetaFile {
  /** Path segments inside the torrent (validated: no '', '.', '..', separators or NULs). */
  path: string[];
  length: number;
  /** Offset of the file's first byte in the torrent's concatenated data. */
  offset: number;
  /** BEP 47 padding file: never written to disk, reads as zeros. */
  pad: boolean;
}

export interface TorrentMeta {
  infoHash: Buffer;
  infoHashHex: string;
  name: string;
  pieceLength: number;
  pieceCount: number;
  totalLength: number;
  /** 20 bytes per piece. */
  pieceHashes: Buffer;
  files: MetaFile[];
  /** True for single-file torrents: the file sits directly in the download folder. */
  singleFile: boolean;
  private: boolean;
  /** BEP 12 tiers (a plain `announce` is one tier of one). */
  announce: string[][];
  /** The exact bencoded info dictionary (for BEP 9 and for writing .torrent files). */
  infoBytes: Buffer;
  /** BEP 52 v2 and hybrid torrents: the v2 info-hash (SHA-256 of the info dictionary), in hex. */
  infoHashV2?: string;
  /**
   * A v2-only torrent (BEP 52): its pieces are checked against each file's merkle tree, not SHA-1
   * (`pieceHashes` is empty). Hybrid torrents are checked through their v1 part and have none.
   */
  v2?: V2Meta;
}

export interface V2Meta {
  /** Each file's pieces root, by index into `files` (none for pad and empty files). */
  roots: (Buffer | undefined)[];
  /** Piece layers known so far, by index into `files` (files of one piece need none). */
  layers: Map<number, Buffer>;
}

/** How a piece is checked: its expected hash and, for v2, the merkle tree to hash it into. */
export interface PieceCheck {
  expected: Buffer;
  /** v2: leaves of the tree and how many of the piece's bytes are the file's (the rest is pad). */
  v2?: { width: number; dataLength: number };
}

/** How to check piece `index`; undefined while a v2 file's piece layer is still unknown. */
export function pieceCheck(meta: TorrentMeta, index: number): PieceCheck | undefined {
  if (!meta.v2) return { expected: pieceHash(meta, index) };
  const at = v2Piece(meta.files, meta.v2.roots, meta.pieceLength, index);
  if (!at) return undefined;
  if (at.filePieces === 1) {
    const width = nextPow2(Math.ceil(at.length / BLOCK_SIZE_V2));
    return { expected: at.root, v2: { width, dataLength: at.length } };
  }
  const layer = meta.v2.layers.get(at.fileIndex);
  if (!layer) return undefined;
  const expected = layer.subarray(at.pieceInFile * 32, at.pieceInFile * 32 + 32);
  return { expected, v2: { width: meta.pieceLength / BLOCK_SIZE_V2, dataLength: at.length } };
}

export function pieceSize(meta: TorrentMeta, index: number): number {
  if (index === meta.pieceCount - 1) {
    const rest = meta.totalLength - index * meta.pieceLength;
    return rest;
  }
  return meta.pieceLength;
}

export function pieceHash(meta: TorrentMeta, index: number): Buffer {
  return meta.pieceHashes.subarray(index * 20, index * 20 + 20);
}

/**
 * BEP 52 identities on the wire and in trackers, the DHT and LSD (20 bytes each), for a torrent
 * added under `key`: `v2` when it is a v2 or hybrid torrent (known from its metadata or, before
 * that, its magnet), and for a hybrid its `other` hash: the truncated v2 one when added under
 * its v1 hash, the v1 one when added from a v2-only (`urn:btmh`) link.
 */
export function wireHashes(
  key: Buffer,
  meta: TorrentMeta | undefined,
  magnetV2?: string,
): { v2: boolean; other?: Buffer } {
  const v2 = meta ? meta.infoHashV2 : magnetV2;
  const candidates = [
    v2 === undefined ? undefined : Buffer.from(v2.slice(0, 40), 'hex'),
    meta?.infoHash,
  ];
  return { v2: v2 !== undefined, other: candidates.find((h) => h !== undefined && !h.equals(key)) };
}
