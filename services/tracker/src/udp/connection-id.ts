import { createHash, hash, randomBytes } from 'node:crypto';

/**
 * BEP 15 connection ids that cost no memory: HMAC-SHA256(secret, client ip · port · time
 * window), truncated to 8 bytes. An id is accepted in the window it was issued in and the next
 * one, so it lives 1–2 windows (BEP 15 asks for about two minutes). A client cannot forge one
 * for another address without the secret, which never leaves the process.
 *
 * HMAC is computed as H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with one-shot `crypto.hash` over
 * preallocated buffers: the same value as createHmac, at a third of its cost per packet.
 */
const BLOCK = 64;
const sha256 = (data: Buffer): Buffer =>
  typeof hash === 'function'
    ? (hash('sha256', data, 'buffer') as unknown as Buffer)
    : createHash('sha256').update(data).digest();

export class ConnectionIds {
  private readonly inner: Buffer;
  private readonly outer: Buffer;
  private readonly windowMs: number;

  constructor(options: { secret?: Buffer; windowMs?: number; now?: () => number } = {}) {
    let key = options.secret ?? randomBytes(32);
    if (key.length > BLOCK) key = sha256(key);
    this.windowMs = options.windowMs ?? 60_000;
    if (options.now) this.now = options.now;
    // inner: ipad-key (64) · ip (≤16) · port (2) · window (4); outer: opad-key (64) · digest (32)
    this.inner = Buffer.alloc(BLOCK + 22);
    this.outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      const k = i < key.length ? key[i] : 0;
      this.inner[i] = k ^ 0x36;
      this.outer[i] = k ^ 0x5c;
    }
  }

  private now: () => number = Date.now;

  private compute(ip: Buffer, port: number, window: number): Buffer {
    const inner = this.inner;
    inner.fill(0, BLOCK);
    ip.copy(inner, BLOCK);
    inner.writeUInt16BE(port, BLOCK + 16);
    inner.writeUInt32BE(window >>> 0, BLOCK + 18);
    sha256(inner).copy(this.outer, BLOCK);
    return sha256(this.outer).subarray(0, 8);
  }

  /** A fresh id for this client address. */
  issue(ip: Buffer, port: number): Buffer {
    return this.compute(ip, port, Math.floor(this.now() / this.windowMs));
  }

  /** Whether `id` (8 bytes) was issued to this address in this window or the previous one. */
  verify(id: Uint8Array, ip: Buffer, port: number): boolean {
    if (id.length !== 8) return false;
    const window = Math.floor(this.now() / this.windowMs);
    return (
      this.compute(ip, port, window).equals(id) || this.compute(ip, port, window - 1).equals(id)
    );
  }
}
