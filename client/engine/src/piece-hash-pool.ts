/**
 * Hashes the pieces of files on disk with a few worker threads. Each worker reads its own piece
 * range straight into its own reused buffer and hashes it there, so the data never crosses
 * threads and every core hashes at full speed while the main thread only hands out ranges. This
 * is how enjambre keeps up with multi-threaded mktorrent (see bench/create.mjs).
 */
import { Worker } from 'node:worker_threads';

export interface SourceFile {
  /** File to read. */
  source: string;
  length: number;
}

interface Segment {
  path: string;
  position: number;
  length: number;
}

interface Job {
  id: number;
  firstPiece: number;
  total: number;
  pieceLength: number;
  segments: Segment[];
}

type Reply = { id: number; hashes: Uint8Array } | { id: number; error: string };

// Plain JavaScript evaluated in the worker: it runs the same under ts-jest and from dist/.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
let buf = Buffer.alloc(0);
parentPort.on('message', (job) => {
  try {
    if (buf.length < job.total) buf = Buffer.allocUnsafe(job.total);
    let at = 0;
    for (const s of job.segments) {
      const fd = openSync(s.path, 'r');
      try {
        let got = 0;
        while (got < s.length) {
          const n = readSync(fd, buf, at + got, s.length - got, s.position + got);
          if (n === 0) throw new Error(s.path + ' got shorter while it was being hashed');
          got += n;
        }
      } finally {
        closeSync(fd);
      }
      at += s.length;
    }
    const count = Math.ceil(job.total / job.pieceLength);
    const hashes = new Uint8Array(count * 20);
    for (let i = 0; i < count; i++) {
      const end = Math.min((i + 1) * job.pieceLength, job.total);
      hashes.set(createHash('sha1').update(buf.subarray(i * job.pieceLength, end)).digest(), i * 20);
    }
    parentPort.postMessage({ id: job.id, hashes }, [hashes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String((e && e.message) || e) });
  }
});
`;

/** Splits the concatenated data into jobs of `piecesPerJob` pieces, each a list of file reads. */
function* jobs(
  files: readonly SourceFile[],
  totalLength: number,
  pieceLength: number,
  piecesPerJob: number,
): Generator<Job> {
  const jobBytes = pieceLength * piecesPerJob;
  let fileIndex = 0;
  let fileOffset = 0; // offset of files[fileIndex] in the data
  let id = 0;
  for (let start = 0; start < totalLength; start += jobBytes) {
    const end = Math.min(start + jobBytes, totalLength);
    const segments: Segment[] = [];
    let at = start;
    while (at < end) {
      while (fileOffset + files[fileIndex].length <= at) {
        fileOffset += files[fileIndex].length;
        fileIndex++;
      }
      const f = files[fileIndex];
      const position = at - fileOffset;
      const length = Math.min(f.length - position, end - at);
      segments.push({ path: f.source, position, length });
      at += length;
    }
    yield { id: id++, firstPiece: start / pieceLength, total: end - start, pieceLength, segments };
  }
}

export interface PoolOptions {
  threads: number;
  /** Bytes each job reads and hashes (rounded to whole pieces). Default 4 MiB. */
  jobSize?: number;
  onProgress?: (bytesHashed: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

/** SHA-1 of every piece of `files` laid end to end, concatenated. */
export async function hashFilesWithWorkers(
  files: readonly SourceFile[],
  totalLength: number,
  pieceLength: number,
  options: PoolOptions,
): Promise<Buffer> {
  const pieceCount = Math.ceil(totalLength / pieceLength);
  const hashes = Buffer.alloc(pieceCount * 20);
  const piecesPerJob = Math.max(1, Math.round((options.jobSize ?? 4 * 1024 * 1024) / pieceLength));
  const pending = jobs(files, totalLength, pieceLength, piecesPerJob);
  const threads = Math.max(1, Math.min(options.threads, Math.ceil(pieceCount / piecesPerJob)));
  const workers: Worker[] = [];
  let hashed = 0;

  const signal = options.signal;
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let finished = false;
      const stop = (err?: unknown) => {
        if (finished) return;
        finished = true;
        if (err === undefined) resolve();
        else reject(err);
      };
      onAbort = () => stop(signal?.reason ?? new Error('aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });

      for (let i = 0; i < threads; i++) {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(w);
        const firstPieces = new Map<number, number>();
        const dispatch = () => {
          const next = pending.next();
          if (next.done) return;
          running++;
          firstPieces.set(next.value.id, next.value.firstPiece);
          w.postMessage(next.value);
        };
        w.on('message', (reply: Reply) => {
          running--;
          if ('error' in reply) return stop(new Error(reply.error));
          const firstPiece = firstPieces.get(reply.id)!;
          firstPieces.delete(reply.id);
          hashes.set(reply.hashes, firstPiece * 20);
          hashed = Math.min(hashed + (reply.hashes.length / 20) * pieceLength, totalLength);
          try {
            options.onProgress?.(hashed, totalLength);
          } catch (err) {
            return stop(err); // a throwing callback must not become an uncaught exception
          }
          if (finished) return;
          dispatch();
          if (running === 0) stop();
        });
        w.on('error', stop);
        w.on('exit', (code) => stop(new Error(`piece hashing worker exited with code ${code}`)));
        // Two jobs per worker, so it starts the next read as soon as it posts a result.
        dispatch();
        dispatch();
      }
    });
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return hashes;
}
