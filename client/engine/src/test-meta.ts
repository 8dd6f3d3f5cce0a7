import { createHash } from 'node:crypto';
import type { TorrentMeta } from './meta';

/**
 * Builds a TorrentMeta straight from file contents, for unit tests of modules below the parser
 * (storage, picker). Not used by the engine itself.
 */
export function metaFromFiles(
  name: string,
  files: Array<{ path: string[]; data: Buffer; pad?: boolean }>,
  pieceLength: number,
  singleFile = false,
): { meta: TorrentMeta; data: Buffer } {
  const data = Buffer.concat(files.map((f) => f.data));
  const pieceCount = Math.max(1, Math.ceil(data.length / pieceLength));
  const hashes = Buffer.alloc(pieceCount * 20);
  for (let i = 0; i < pieceCount; i++) {
    createHash('sha1')
      .update(data.subarray(i * pieceLength, (i + 1) * pieceLength))
      .digest()
      .copy(hashes, i * 20);
  }
  let offset = 0;
  const metaFiles = files.map((f) => {
    const mf = { path: f.path, length: f.data.length, offset, pad: !!f.pad };
    offset += f.data.length;
    return mf;
  });
  const infoHash = createHash('sha1').update(hashes).digest();
  return {
    data,
    meta: {
      infoHash,
      infoHashHex: infoHash.toString('hex'),
      name,
      pieceLength,
      pieceCount,
      totalLength: data.length,
      pieceHashes: hashes,
      files: metaFiles,
      singleFile,
      private: false,
      announce: [],
      infoBytes: Buffer.alloc(0),
    },
  };
}
