import type { FilePriority } from '../api';
import type { TorrentMeta } from '../meta';
import { FileMap } from '../storage/file-map';
import type { Bitfield } from '../util/bitfield';

/** File priorities and per-file progress, mapped onto pieces. */
export class FileTable {
  readonly map: FileMap;
  readonly priorities: FilePriority[];

  constructor(
    private readonly meta: TorrentMeta,
    priorities?: FilePriority[],
  ) {
    this.map = new FileMap(meta);
    this.priorities = meta.files.map((_, i) => priorities?.[i] ?? 1);
  }

  /** Per piece: the highest priority of the (non-pad) files it touches. */
  piecePriorities(): Uint8Array {
    const prio = new Uint8Array(this.meta.pieceCount);
    this.meta.files.forEach((f, i) => {
      if (f.pad) return;
      const { first, last } = this.map.pieceRange(i);
      const p = this.priorities[i];
      for (let k = first; k <= last; k++) if (p > prio[k]) prio[k] = p;
    });
    return prio;
  }

  /** Verified bytes of each file. */
  downloaded(have: Bitfield): number[] {
    return this.meta.files.map((f, i) => {
      if (f.length === 0) return 0;
      const { first, last } = this.map.pieceRange(i);
      let bytes = 0;
      for (let k = first; k <= last; k++) {
        if (!have.get(k)) continue;
        const ps = k * this.meta.pieceLength;
        const pe = Math.min(ps + this.meta.pieceLength, this.meta.totalLength);
        bytes += Math.min(pe, f.offset + f.length) - Math.max(ps, f.offset);
      }
      return bytes;
    });
  }

  /** Bytes of piece `index` that belong to wanted (priority > 0) files. */
  wantedBytesIn(index: number): number {
    const len = Math.min(
      this.meta.pieceLength,
      this.meta.totalLength - index * this.meta.pieceLength,
    );
    let n = 0;
    for (const s of this.map.spans(index, 0, len)) {
      if (!this.meta.files[s.fileIndex].pad && this.priorities[s.fileIndex] > 0) n += s.length;
    }
    return n;
  }

  wantedSize(): number {
    let n = 0;
    this.meta.files.forEach((f, i) => {
      if (!f.pad && this.priorities[i] > 0) n += f.length;
    });
    return n;
  }

  /** Files whose size or mtime differ from a saved record (their pieces need a recheck). */
  changedFiles(
    saved: Array<{ size: number; mtimeMs: number } | null>,
    now: Array<{ size: number; mtimeMs: number } | null>,
  ): number[] {
    const out: number[] = [];
    this.meta.files.forEach((f, i) => {
      if (f.pad) return;
      const a = saved[i];
      const b = now[i];
      if (!a && !b) return;
      if (!a || !b || a.size !== b.size || a.mtimeMs !== b.mtimeMs) out.push(i);
    });
    return out;
  }
}
