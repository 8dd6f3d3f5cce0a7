import type { Metainfo } from '@enjambre/bittorrent';
import type { TorrentMeta } from './meta';

/** The engine's TorrentMeta from the protocol core's parsed (and validated) metainfo. */
export function fromMetainfo(m: Metainfo): TorrentMeta {
  return {
    infoHash: m.infoHashBuffer,
    infoHashHex: m.infoHash,
    name: m.name,
    pieceLength: m.pieceLength,
    pieceCount: m.pieceCount,
    totalLength: m.totalLength,
    pieceHashes: m.pieces,
    files: m.files.map((f) => ({ path: f.path, length: f.length, offset: f.offset, pad: f.pad })),
    singleFile: !m.multiFile,
    private: m.private,
    announce: m.announce,
    infoBytes: m.infoBuffer,
    ...(m.infoHashV2 ? { infoHashV2: m.infoHashV2 } : {}),
    // hybrids are checked with SHA-1 through their v1 part
    ...(m.metaVersion === 2 && !m.hybrid
      ? { v2: { roots: m.piecesRoots ?? [], layers: new Map(m.pieceLayers ?? []) } }
      : {}),
  };
}
