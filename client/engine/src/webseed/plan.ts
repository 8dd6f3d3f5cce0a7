import type { TorrentMeta } from '../meta';
import { BLOCK_SIZE, type BlockRequest } from '../picker/picker';

/** A block with its place in the torrent's concatenated data. */
export interface PlacedBlock extends BlockRequest {
  offset: number;
}

/** The bytes one file contributes to a fetch: ranges in the file, ascending, not touching. */
export interface FilePart {
  fileIndex: number;
  /** BEP 47 pad file: zeros, never fetched. */
  pad: boolean;
  ranges: Array<{ start: number; length: number }>;
}

/**
 * Turns picked blocks into what to fetch: the blocks in torrent order, and per file (in file
 * order) the byte ranges covering them, with neighbouring blocks merged into one range. A piece
 * that spans files becomes a range in each file.
 */
export function planFetch(
  meta: TorrentMeta,
  reqs: readonly BlockRequest[],
): { blocks: PlacedBlock[]; files: FilePart[] } {
  const blocks = reqs
    .map((r) => ({ ...r, offset: r.index * meta.pieceLength + r.begin }))
    .sort((a, b) => a.offset - b.offset);
  // torrent-wide runs of adjacent blocks
  const runs: Array<{ start: number; end: number }> = [];
  for (const b of blocks) {
    const last = runs[runs.length - 1];
    if (last && last.end === b.offset) last.end += b.length;
    else runs.push({ start: b.offset, end: b.offset + b.length });
  }
  const files: FilePart[] = [];
  let fi = firstFileAt(meta, runs[0]?.start ?? 0);
  for (const run of runs) {
    let at = run.start;
    while (at < run.end) {
      while (fi < meta.files.length && meta.files[fi].offset + meta.files[fi].length <= at) fi++;
      if (fi >= meta.files.length) throw new Error('a block lies past the last file');
      const f = meta.files[fi];
      const end = Math.min(run.end, f.offset + f.length);
      let part = files[files.length - 1];
      if (!part || part.fileIndex !== fi) {
        part = { fileIndex: fi, pad: f.pad, ranges: [] };
        files.push(part);
      }
      part.ranges.push({ start: at - f.offset, length: end - at });
      at = end;
    }
  }
  return { blocks, files };
}

/** The first file holding byte `offset` (empty files hold none). */
function firstFileAt(meta: TorrentMeta, offset: number): number {
  let lo = 0;
  let hi = meta.files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const f = meta.files[mid];
    if (f.offset + f.length <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Assembles bytes arriving in torrent order (with gaps only between blocks) into whole blocks
 * and hands each one over as it completes. Blocks may be appended while it runs (in torrent
 * order, after those it has). One scratch buffer: the receiver copies the block
 * before returning (the downloader copies it into its piece buffer).
 */
export class BlockAssembler {
  private next = 0;
  private filled = 0;
  private readonly scratch: Buffer;
  /** Blocks handed over. */
  done = 0;

  constructor(
    private readonly blocks: readonly PlacedBlock[],
    private readonly deliver: (b: PlacedBlock, data: Buffer) => void,
  ) {
    this.scratch = Buffer.allocUnsafe(BLOCK_SIZE); // blocks are 16 KiB at most
  }

  /** Bytes at torrent offset `offset`. */
  write(offset: number, chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length && this.next < this.blocks.length) {
      const b = this.blocks[this.next];
      const at = offset + p;
      const want = b.offset + this.filled;
      if (at < want) {
        p += Math.min(chunk.length - p, want - at); // already have these bytes
        continue;
      }
      if (at > want) {
        if (this.filled > 0) throw new Error('bytes missing inside a block');
        // bytes of a block never asked for cannot come first; a gap skips to the block holding `at`
        this.next++;
        continue;
      }
      const n = Math.min(chunk.length - p, b.length - this.filled);
      chunk.copy(this.scratch, this.filled, p, p + n);
      this.filled += n;
      p += n;
      if (this.filled === b.length) {
        this.filled = 0;
        this.next++;
        this.done++;
        this.deliver(b, this.scratch.subarray(0, b.length));
      }
    }
  }

  /** `length` zero bytes at `offset` (a pad file). */
  zeros(offset: number, length: number): void {
    const z = Buffer.alloc(Math.min(length, 64 * 1024));
    for (let p = 0; p < length; p += z.length)
      this.write(offset + p, z.subarray(0, Math.min(z.length, length - p)));
  }
}
