/**
 * The wire format between a UDP worker process and the process that owns the store. The worker
 * forwards every packet it cannot answer alone as one record of a batch; the owner answers a
 * batch with one record per request, in order (length 0: no answer).
 *
 * request record: ipLength u8 · ip · port u16 · length u16 · packet
 * answer record:  length u16 · packet
 */

/** Largest packet a batch carries (anything longer is a bad packet; it is cut to this). */
export const MAX_BATCH_PACKET = 0xffff;

/** A growable byte buffer written front to back and reused from batch to batch. */
export class BatchWriter {
  private buf: Buffer;
  length = 0;
  count = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initial);
  }

  /** Room for `n` more bytes; returns the offset they start at. */
  reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** The bytes written so far (a view: copy or send before writing again). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    this.count = 0;
  }

  addRequest(ip: Buffer, port: number, packet: Buffer): void {
    const n = Math.min(packet.length, MAX_BATCH_PACKET);
    const at = this.reserve(1 + ip.length + 4 + n);
    const b = this.buf;
    b[at] = ip.length;
    ip.copy(b, at + 1);
    b.writeUInt16BE(port, at + 1 + ip.length);
    b.writeUInt16BE(n, at + 3 + ip.length);
    packet.copy(b, at + 5 + ip.length, 0, n);
    this.count++;
  }
}

/** Walks the request records of a batch; `visit` gets views into `batch`. */
export function forEachRequest(
  batch: Buffer,
  visit: (ip: Buffer, port: number, packet: Buffer) => void,
): void {
  let at = 0;
  while (at < batch.length) {
    const ipLength = batch[at];
    if (ipLength !== 4 && ipLength !== 16) throw new Error('corrupt UDP batch');
    const ip = batch.subarray(at + 1, at + 1 + ipLength);
    const port = batch.readUInt16BE(at + 1 + ipLength);
    const n = batch.readUInt16BE(at + 3 + ipLength);
    const start = at + 5 + ipLength;
    if (start + n > batch.length) throw new Error('corrupt UDP batch');
    visit(ip, port, batch.subarray(start, start + n));
    at = start + n;
  }
}

/** Walks the answer records of a batch: `visit(i, packet | null)` for the i-th request. */
export function forEachAnswer(
  batch: Buffer,
  visit: (i: number, packet: Buffer | null) => void,
): void {
  let at = 0;
  let i = 0;
  while (at + 2 <= batch.length) {
    const n = batch.readUInt16BE(at);
    visit(i++, n === 0 ? null : batch.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
}

/** Largest frame accepted on a worker pipe (a batch is sent once over 60 KiB). */
export const MAX_FRAME = 16 * 1024 * 1024;

/**
 * Splits a byte stream into frames of `length u32 · payload`: batches travel over a plain pipe,
 * which costs a fraction of the IPC channel's serialized messages.
 */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readUInt32BE(at);
      if (n > MAX_FRAME) throw new Error('UDP batch frame too large');
      if (buf.length - at - 4 < n) break;
      this.onFrame(buf.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
  }
}

/** `writer`'s bytes as one frame (a copy: the writer is reused at once). */
export function frame(writer: BatchWriter): Buffer {
  const body = writer.view();
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
