import type { TorrentMeta } from '../meta';
import { pieceCheck, type PieceCheck } from '../meta';
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
      const check = pieceCheck(meta, i);
      const buf = check ? await storage.readPiece(i) : undefined;
      if (check && buf && (await matches(hasher, buf, check))) good.set(i);
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return good;
}

async function matches(hasher: PieceHasher, buf: Buffer, check: PieceCheck): Promise<boolean> {
  if (!check.v2) return (await hasher.hash(buf)).digest.equals(check.expected);
  const data = buf.subarray(0, check.v2.dataLength);
  return (await hasher.hashV2(data, check.v2.width)).v2.equals(check.expected);
}
