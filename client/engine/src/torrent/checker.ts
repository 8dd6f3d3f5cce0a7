import type { TorrentMeta } from '../meta';
import { pieceHash } from '../meta';
import type { PieceHasher } from '../storage/hasher';
import type { TorrentStorage } from '../storage/storage';
import { Bitfield } from '../util/bitfield';

/**
 * Verifies pieces on disk: reads each (positional reads, a few in flight) and hashes it in the
 * hasher pool. Returns the pieces that are good.
 */
export async function checkPieces(
  meta: TorrentMeta,
  storage: TorrentStorage,
  hasher: PieceHasher,
  pieces: Iterable<number>,
  onProgress?: (done: number) => void,
  cancelled: () => boolean = () => false,
): Promise<Bitfield> {
  const good = new Bitfield(meta.pieceCount);
  const it = pieces[Symbol.iterator]();
  let done = 0;
  const worker = async () => {
    for (let n = it.next(); !n.done; n = it.next()) {
      if (cancelled()) return;
      const i = n.value;
      const buf = await storage.readPiece(i);
      const { digest } = await hasher.hash(buf);
      if (digest.equals(pieceHash(meta, i))) good.set(i);
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return good;
}
