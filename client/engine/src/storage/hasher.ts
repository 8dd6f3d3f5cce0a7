import { createHash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { IoCounter } from '../api';
import { timeIo } from '../util/io-stats';

/** SHA-1 of whole pieces, off the event loop. */
export interface PieceHasher {
  /**
   * Hashes `buf`. The buffer's memory may be transferred to a worker and back: use the returned
   * `buf` afterwards, never the argument.
   */
  hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }>;
  close(): Promise<void>;
}

/** Counts the time and bytes of another hasher's work. */
export class TimedHasher implements PieceHasher {
  constructor(
    private readonly inner: PieceHasher,
    private readonly counter: IoCounter,
  ) {}

  hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }> {
    return timeIo(this.counter, buf.length, () => this.inner.hash(buf));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// Inline source: the pool works the same from ts-jest (no .js on disk) and from the build.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', (m) => {
  const view = Buffer.from(m.ab, m.off, m.len);
  const digest = createHash('sha1').update(view).digest();
  parentPort.postMessage({ id: m.id, ab: m.ab, digest: new Uint8Array(digest) }, m.owned ? [m.ab] : []);
});
`;

interface Job {
  id: number;
  buf: Buffer;
  len: number;
  owned: boolean;
  resolve: (r: { digest: Buffer; buf: Buffer }) => void;
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

  constructor(size = Math.max(1, os.availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  hash(buf: Buffer): Promise<{ digest: Buffer; buf: Buffer }> {
    if (this.closed) return Promise.reject(new Error('hasher closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        buf,
        len: buf.length,
        owned: isOwned(buf),
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
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (m: { id: number; ab: ArrayBuffer; digest: Uint8Array }) => {
      const job = slot.job;
      slot.job = undefined;
      if (job && job.id === m.id) {
        const buf = job.owned ? Buffer.from(m.ab, 0, job.len) : job.buf;
        job.resolve({ digest: Buffer.from(m.digest), buf });
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
        { id: job.id, ab, off: job.buf.byteOffset, len: job.buf.length, owned },
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
