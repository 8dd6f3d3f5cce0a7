import type { Metainfo } from '@enjambre/bittorrent';
import type { TorrentMeta } from './meta';

/** The engine's TorrentMeta from the protocol core's parsed (and validated) metainfo. */
export function fromMetainfo(m: Metainfo): TorrentMeta {
  if (m.metaVersion === 2 && !m.hybrid) {
    throw new Error('BitTorrent v2-only torrents (BEP 52) cannot be downloaded yet');
  }
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
  };
}
