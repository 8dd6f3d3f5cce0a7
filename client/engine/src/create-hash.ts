/**
 * Hashes the pieces of files on disk in a `PieceHasher` (the session's worker pool): the calling
 * thread reads each piece into a buffer of its own (positional reads, one file after another),
 * the buffer's memory moves to a worker and back, and a few pieces are in flight so that every
 * worker hashes while the next piece is read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { allocPieceBuffer, type PieceHasher } from './storage/hasher';

export interface SourceFile {
  /** File to read. */
  source: string;
  length: number;
}

export interface PoolHashOptions {
  /** Bytes of pieces in flight at most (rounded to whole pieces, at least two). Default 32 MiB. */
  inFlightBytes?: number;
  onProgress?: (bytesHashed: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** A file had fewer bytes than it was listed with: throws the caller's error. */
  shorter: (path: string) => never;
}

/** SHA-1 of every piece of `files` laid end to end, concatenated. */
export async function hashFilesInPool(
  hasher: PieceHasher,
  files: readonly SourceFile[],
  totalLength: number,
  pieceLength: number,
  o: PoolHashOptions,
): Promise<Buffer> {
  const pieceCount = Math.ceil(totalLength / pieceLength);
  const hashes = Buffer.alloc(pieceCount * 20);
  const maxInFlight = Math.max(2, Math.floor((o.inFlightBytes ?? 32 * 1024 * 1024) / pieceLength));
  const reader = new SequentialReader(files, o.shorter);
  const inFlight = new Set<Promise<void>>();
  const spare: Buffer[] = [];
  let hashed = 0;
  let failure: { err: unknown } | undefined;
  try {
    for (let p = 0; p < pieceCount && !failure; p++) {
      o.signal?.throwIfAborted();
      const length = Math.min(pieceLength, totalLength - p * pieceLength);
      const buf =
        length === pieceLength
          ? (spare.pop() ?? allocPieceBuffer(length))
          : allocPieceBuffer(length);
      await reader.read(buf);
      const job = hasher
        .hash(buf)
        .then(({ digest, buf: back }) => {
          digest.copy(hashes, p * 20);
          if (back.length === pieceLength) spare.push(back);
          hashed = Math.min(hashed + length, totalLength);
          o.onProgress?.(hashed, totalLength);
        })
        .catch((err: unknown) => {
          failure ??= { err };
        })
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await reader.close();
  }
  if (failure) throw failure.err;
  o.signal?.throwIfAborted();
  return hashes;
}

/** Reads the files' bytes in order, one open file at a time. */
class SequentialReader {
  private index = 0;
  private position = 0;
  private fh?: FileHandle;

  constructor(
    private readonly files: readonly SourceFile[],
    private readonly shorter: (path: string) => never,
  ) {}

  async read(into: Buffer): Promise<void> {
    let at = 0;
    while (at < into.length) {
      const f = this.files[this.index];
      if (!f) this.shorter(this.files[this.files.length - 1]?.source ?? '?');
      if (this.position >= f.length) {
        await this.next();
        continue;
      }
      this.fh ??= await open(f.source, 'r');
      const want = Math.min(into.length - at, f.length - this.position);
      const { bytesRead } = await this.fh.read(into, at, want, this.position);
      if (bytesRead === 0) this.shorter(f.source);
      at += bytesRead;
      this.position += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }

  private async next(): Promise<void> {
    await this.close();
    this.index++;
    this.position = 0;
  }
}
