import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { IoStats } from '../api';
import { countIo, timeIo } from '../util/io-stats';
import { v2Hashes } from './v2-hash';

/** Where one span of a piece goes: `buf[offset, offset+length)` to `fd` at `position`. */
export interface WriteTarget {
  fd: number;
  offset: number;
  length: number;
  position: number;
}

export interface VerifyResult {
  /** The digest matched and the piece is written. */
  ok: boolean;
  buf: Buffer;
  /** Seconds spent writing (0 when the digest did not match). */
  writeSeconds: number;
}

/**
 * Bytes per write(2) of a verified piece. Linux 6.x gives ext4 and xfs large page-cache folios
 * sized by the write, and a 1 MiB folio comes from a large free block: on a VM whose balloon
 * reports free memory to the host (this project's machines), such blocks are unbacked and every
 * page of the folio faults in the host while the kernel copies into it. Measured on a 2-core
 * Firecracker VM writing 1 GiB after the machine had been idle a few seconds: 1 MiB writes
 * 2.0–2.5 s of system time, 64 KiB 1.0–1.5 s, 16 KiB 0.4–0.7 s, 4 KiB 0.9–1.0 s. On bare metal
 * the extra syscalls cost about 60 ms per GiB. libtorrent also writes one 16 KiB block at a time.
 */
export const WRITE_CHUNK = 16 * 1024;

/**
 * A BEP 52 piece check: the merkle root of the first `dataLength` bytes' 16 KiB blocks over
 * `width` leaves (the rest of the piece, if any, is pad bytes and is written as it is).
 */
export interface V2Check {
  width: number;
  dataLength: number;
}

/** SHA-1 of whole pieces, off the event loop. */
export interface PieceHasher {
  /**
   * Hashes `buf`. The buffer's memory may be transferred to a worker and back: use the returned
   * `buf` afterwards, never the argument.
   */
  hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }>;
  /**
   * Hashes `buf` and, only when its digest is `expected`, writes it to `targets` on the same
   * thread (the data never comes back to the event loop to be written). Write errors reject; the
   * caller keeps the fds open until this settles. Same buffer rule as `hash`.
   */
  verifyAndWrite(
    buf: Buffer,
    expected: Buffer,
    targets: readonly WriteTarget[],
    v2?: V2Check,
  ): Promise<VerifyResult>;
  /**
   * BEP 52: the merkle root of `buf`'s 16 KiB blocks over `width` leaves (zero leaves past the
   * data) and, when `sha1Length` is given, the SHA-1 of `buf` followed by zeros up to that length
   * (a hybrid's v1 piece ending in a pad file). Same buffer rule as `hash`.
   */
  hashV2(
    buf: Buffer,
    width: number,
    sha1Length?: number,
  ): Promise<{ v2: Buffer; sha1?: Buffer; buf: Buffer }>;
  close(): Promise<void>;
}

/** Counts the time and bytes of another hasher's work (its writes as disk writes). */
export class TimedHasher implements PieceHasher {
  constructor(
    private readonly inner: PieceHasher,
    private readonly stats: Pick<IoStats, 'hash' | 'diskWrite'>,
  ) {}

  hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }> {
    return timeIo(this.stats.hash, buf.length, () => this.inner.hash(buf));
  }

  async verifyAndWrite(
    buf: Buffer,
    expected: Buffer,
    targets: readonly WriteTarget[],
    v2?: V2Check,
  ): Promise<VerifyResult> {
    const bytes = buf.length; // read now: the worker may take the buffer's memory
    const start = process.hrtime.bigint();
    let r: VerifyResult | undefined;
    try {
      r = await this.inner.verifyAndWrite(buf, expected, targets, v2);
      return r;
    } finally {
      const total = Number(process.hrtime.bigint() - start) / 1e9;
      const writeSeconds = r?.writeSeconds ?? 0;
      countIo(this.stats.hash, Math.max(0, total - writeSeconds), bytes);
      if (r?.ok) countIo(this.stats.diskWrite, writeSeconds, bytes);
    }
  }

  hashV2(
    buf: Buffer,
    width: number,
    sha1Length?: number,
  ): Promise<{ v2: Buffer; sha1?: Buffer; buf: Buffer }> {
    return timeIo(this.stats.hash, buf.length, () => this.inner.hashV2(buf, width, sha1Length));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// Inline source: the pool works the same from ts-jest (no .js on disk) and from the build.
// A message with \`expected\` is a verify-and-write job: the piece is written only if it matches.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { writeSync } = require('node:fs');
const writeLock = new Int32Array(workerData.writeLock);
const chunk = workerData.writeChunk;
${writeTargets.toString()}
${v2Hashes.toString()}
parentPort.on('message', (m) => {
  const view = Buffer.from(m.ab, m.off, m.len);
  const reply = { id: m.id, ab: m.ab, ok: false, writeSeconds: 0 };
  if (m.v2Width) {
    const data = m.v2Data === undefined ? view : view.subarray(0, m.v2Data);
    Object.assign(reply, v2Hashes(createHash, data, m.v2Width, m.sha1Length));
  }
  const digest = m.v2Width ? Buffer.from(reply.v2) : createHash('sha1').update(view).digest();
  if (!m.v2Width) reply.digest = new Uint8Array(digest);
  if (m.expected) {
    reply.ok = digest.equals(m.expected);
    if (reply.ok) {
      const t0 = process.hrtime.bigint();
      try {
        // one writer at a time: a second one would spin in the kernel on the inode's lock
        // (the wait is bounded so that terminate() can always stop a waiting worker)
        while (Atomics.compareExchange(writeLock, 0, 0, 1) !== 0) Atomics.wait(writeLock, 0, 1, 50);
        try {
          writeTargets(writeSync, view, m.targets, chunk);
        } finally {
          Atomics.store(writeLock, 0, 0);
          Atomics.notify(writeLock, 0, 1);
        }
      } catch (e) {
        reply.error = { message: String((e && e.message) || e), code: e && e.code };
      }
      reply.writeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }
  parentPort.postMessage(reply, m.owned ? [m.ab] : []);
});
`;

/**
 * Writes every target of `view` in writes of at most `chunk` bytes. Plain JavaScript with its
 * dependency passed in: the worker evaluates its source text.
 */
function writeTargets(
  write: typeof writeSync,
  view: Buffer,
  targets: readonly WriteTarget[],
  chunk: number,
): void {
  for (const t of targets) {
    let offset = t.offset;
    let left = t.length;
    let position = t.position;
    while (left > 0) {
      const n = write(t.fd, view, offset, Math.min(left, chunk), position);
      offset += n;
      left -= n;
      position += n;
    }
  }
}

interface Reply {
  id: number;
  ab: ArrayBuffer;
  digest: Uint8Array;
  v2?: Uint8Array;
  sha1?: Uint8Array;
  ok: boolean;
  writeSeconds: number;
  error?: { message: string; code?: string };
}

interface Job {
  id: number;
  buf: Buffer;
  len: number;
  owned: boolean;
  expected?: Buffer;
  targets?: readonly WriteTarget[];
  v2Width?: number;
  v2Data?: number;
  sha1Length?: number;
  resolve: (r: Reply & { buf: Buffer }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/** A fixed pool of worker threads; pieces whose memory they own are transferred, not copied. */
export class WorkerHasher implements PieceHasher {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Taken by a worker while it writes (Atomics), so writers sleep instead of spinning. */
  private readonly writeLock = new SharedArrayBuffer(4);

  constructor(size = Math.max(1, os.availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  async hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }> {
    const r = await this.submit(buf);
    return { digest: Buffer.from(r.digest), buf: r.buf };
  }

  async verifyAndWrite(
    buf: Buffer,
    expected: Buffer,
    targets: readonly WriteTarget[],
    v2?: V2Check,
  ): Promise<VerifyResult> {
    const r = await this.submit(
      buf,
      expected,
      targets,
      v2 && { v2Width: v2.width, v2Data: v2.dataLength },
    );
    return { ok: r.ok, buf: r.buf, writeSeconds: r.writeSeconds };
  }

  async hashV2(
    buf: Buffer,
    width: number,
    sha1Length?: number,
  ): Promise<{ v2: Buffer; sha1?: Buffer; buf: Buffer }> {
    const r = await this.submit(buf, undefined, undefined, { v2Width: width, sha1Length });
    return { v2: Buffer.from(r.v2!), ...(r.sha1 ? { sha1: Buffer.from(r.sha1) } : {}), buf: r.buf };
  }

  private submit(
    buf: Buffer,
    expected?: Buffer,
    targets?: readonly WriteTarget[],
    v2?: { v2Width: number; v2Data?: number; sha1Length?: number },
  ): Promise<Reply & { buf: Buffer }> {
    if (this.closed) return Promise.reject(new Error('hasher closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        buf,
        len: buf.length,
        owned: isOwned(buf),
        expected,
        targets,
        ...v2,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('hasher closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { writeLock: this.writeLock, writeChunk: WRITE_CHUNK },
    });
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (m: Reply) => {
      const job = slot.job;
      slot.job = undefined;
      if (job && job.id === m.id) {
        const buf = job.owned ? Buffer.from(m.ab, 0, job.len) : job.buf;
        if (m.error) job.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        else job.resolve({ ...m, buf });
      }
      this.pump();
    });
    worker.on('error', (err) => {
      const job = slot.job;
      slot.job = undefined;
      if (job) job.reject(err);
      if (!this.closed) {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots[i] = this.spawn();
        this.pump();
      }
    });
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      const owned = job.owned;
      const ab = job.buf.buffer as ArrayBuffer;
      slot.worker.postMessage(
        {
          id: job.id,
          ab,
          off: job.buf.byteOffset,
          len: job.buf.length,
          owned,
          // a copy: the digest is a view into the torrent's piece list, and a view is sent with
          // its whole ArrayBuffer
          expected: job.expected && Uint8Array.from(job.expected),
          targets: job.targets,
          v2Width: job.v2Width,
          v2Data: job.v2Data,
          sha1Length: job.sha1Length,
        },
        owned ? [ab] : [],
      );
    }
  }
}

/** Hashes on the calling thread (reference for the benchmark and fallback for tiny pieces). */
export class SyncHasher implements PieceHasher {
  async hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }> {
    return { digest: createHash('sha1').update(buf).digest(), buf };
  }
  async verifyAndWrite(
    buf: Buffer,
    expected: Buffer,
    targets: readonly WriteTarget[],
    v2?: V2Check,
  ): Promise<VerifyResult> {
    const digest = v2
      ? Buffer.from(v2Hashes(createHash, buf.subarray(0, v2.dataLength), v2.width, undefined).v2)
      : createHash('sha1').update(buf).digest();
    if (!digest.equals(expected)) {
      return { ok: false, buf, writeSeconds: 0 };
    }
    const t0 = process.hrtime.bigint();
    writeTargets(writeSync, buf, targets, WRITE_CHUNK);
    return { ok: true, buf, writeSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  }
  async hashV2(
    buf: Buffer,
    width: number,
    sha1Length?: number,
  ): Promise<{ v2: Buffer; sha1?: Buffer; buf: Buffer }> {
    const r = v2Hashes(createHash, buf, width, sha1Length);
    return { v2: Buffer.from(r.v2), ...(r.sha1 ? { sha1: Buffer.from(r.sha1) } : {}), buf };
  }
  async close(): Promise<void> {}
}

/** A buffer that alone owns its whole ArrayBuffer can be transferred without a copy. */
function isOwned(buf: Buffer): boolean {
  return (
    buf.byteOffset === 0 &&
    buf.byteLength === buf.buffer.byteLength &&
    !(buf.buffer instanceof SharedArrayBuffer)
  );
}

/** A piece buffer the hasher can transfer (not a slice of Node's shared allocation pool). */
export function allocPieceBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}
