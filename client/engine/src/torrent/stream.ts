import { Readable } from 'node:stream';
import { pieceSize } from '../meta';
import type { TorrentContent } from './content';

/**
 * A byte range of one file as a stream (inclusive `end`, like fs). The range's pieces are asked
 * for first; each is read once `waitPiece` says it is verified.
 */
export function fileReadStream(
  content: TorrentContent,
  fileIndex: number,
  opts: { start?: number; end?: number },
  waitPiece: (p: number) => Promise<void>,
): NodeJS.ReadableStream {
  const meta = content.meta;
  const file = meta.files[fileIndex];
  if (!file || file.pad) throw new Error('no such file');
  const start = opts.start ?? 0;
  const end = Math.min(opts.end ?? file.length - 1, file.length - 1);
  const first = Math.floor((file.offset + start) / meta.pieceLength);
  const last = Math.floor((file.offset + end) / meta.pieceLength);
  const pieces: number[] = [];
  for (let p = first; p <= last; p++) pieces.push(p);
  content.picker.fetchFirst(pieces);
  async function* gen() {
    for (const p of pieces) {
      await waitPiece(p);
      const ps = p * meta.pieceLength;
      const from = Math.max(ps, file.offset + start) - ps;
      const to = Math.min(ps + pieceSize(meta, p), file.offset + end + 1) - ps;
      if (to > from) yield Buffer.from(await content.storage.readBlock(p, from, to - from));
    }
  }
  return end < start ? Readable.from([]) : Readable.from(gen());
}
