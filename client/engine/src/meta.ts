/**
 * The engine's view of a torrent's metainfo: only what the engine needs, already validated.
 * `fromMetainfo` (metainfo-adapter.ts) builds it from the protocol core's parsed metainfo, so the
 * rest of the engine never depends on the parser's shape.
 */
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
