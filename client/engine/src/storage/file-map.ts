import type { TorrentMeta } from '../meta';

/** One contiguous part of a piece that lives in one file. */
export interface Span {
  fileIndex: number;
  /** Byte offset inside the file. */
  fileOffset: number;
  /** Byte offset inside the piece. */
  pieceOffset: number;
  length: number;
}

/**
 * Maps byte ranges of the torrent's concatenated data onto its files. Files are sorted by offset,
 * so a binary search finds the first file of a range; zero-length files never hold bytes.
 */
export class FileMap {
  private readonly starts: number[];

  constructor(private readonly meta: TorrentMeta) {
    this.starts = meta.files.map((f) => f.offset);
  }

  /** Index of the file holding torrent byte `pos` (skipping zero-length files). */
  fileAt(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    while (lo < this.meta.files.length - 1 && this.meta.files[lo].length === 0) lo++;
    return lo;
  }

  /** Spans of `length` bytes starting at `begin` inside piece `index`, pad files included. */
  spans(index: number, begin: number, length: number): Span[] {
    const out: Span[] = [];
    let pos = index * this.meta.pieceLength + begin;
    let left = length;
    let pieceOffset = begin;
    let f = this.fileAt(pos);
    while (left > 0 && f < this.meta.files.length) {
      const file = this.meta.files[f];
      const inFile = pos - file.offset;
      const n = Math.min(left, file.length - inFile);
      if (n > 0) {
        out.push({ fileIndex: f, fileOffset: inFile, pieceOffset, length: n });
        pos += n;
        left -= n;
        pieceOffset += n;
      }
      f++;
    }
    return out;
  }

  /** First and last piece that hold bytes of file `fileIndex` (last < first for empty files). */
  pieceRange(fileIndex: number): { first: number; last: number } {
    const file = this.meta.files[fileIndex];
    if (file.length === 0) return { first: 0, last: -1 };
    return {
      first: Math.floor(file.offset / this.meta.pieceLength),
      last: Math.floor((file.offset + file.length - 1) / this.meta.pieceLength),
    };
  }
}
