/**
 * Hashes the pieces of files on disk in a `PieceHasher` (the session's worker pool): the calling
 * thread reads each piece into a buffer of its own (positional reads, one file after another),
 * the buffer's memory moves to a worker and back, and a few pieces are in flight so that every
 * worker hashes while the next piece is read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { V2PieceHashes, V2PieceJob } from '@enjambre/bittorrent';
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

/**
 * The BEP 52 hashes of `jobs` (`planV2Pieces`: pieces within one file each, in file order), read
 * from `files` and hashed in the pool, a few pieces in flight as above.
 */
export async function hashV2FilesInPool(
  hasher: PieceHasher,
  files: readonly SourceFile[],
  jobs: readonly V2PieceJob[],
  totalLength: number,
  o: PoolHashOptions,
): Promise<V2PieceHashes[]> {
  const out: V2PieceHashes[] = new Array<V2PieceHashes>(jobs.length);
  const maxBytes = o.inFlightBytes ?? 32 * 1024 * 1024;
  const reader = new SequentialReader(files, o.shorter);
  const inFlight = new Set<Promise<void>>();
  const spare: Buffer[] = []; // whole-piece buffers back from the workers, reused
  const pieceLength = jobs.reduce((m, j) => Math.max(m, j.length), 0);
  let bytesInFlight = 0;
  let hashed = 0;
  let failure: { err: unknown } | undefined;
  try {
    for (let p = 0; p < jobs.length && !failure; p++) {
      o.signal?.throwIfAborted();
      const job = jobs[p];
      const buf =
        job.length === pieceLength
          ? (spare.pop() ?? allocPieceBuffer(job.length))
          : allocPieceBuffer(job.length);
      await reader.read(buf);
      bytesInFlight += job.length;
      const work = hasher
        .hashV2(buf, job.v2Width, job.sha1Length)
        .then(({ v2, sha1, buf: back }) => {
          out[p] = sha1 ? { v2, sha1 } : { v2 };
          if (back.length === pieceLength) spare.push(back);
          hashed = Math.min(hashed + job.length, totalLength);
          o.onProgress?.(hashed, totalLength);
        })
        .catch((err: unknown) => {
          failure ??= { err };
        })
        .finally(() => {
          inFlight.delete(work);
          bytesInFlight -= job.length;
        });
      inFlight.add(work);
      while (inFlight.size >= 2 && bytesInFlight >= maxBytes) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await reader.close();
  }
  if (failure) throw failure.err;
  o.signal?.throwIfAborted();
  return out;
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
