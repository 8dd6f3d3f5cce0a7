import { createHash, randomBytes } from 'node:crypto';

/**
 * BEP 15 connection ids that cost no memory: HMAC-SHA256(secret, client ip · port · time
 * window · address family), truncated to 8 bytes. The family byte matters because an IPv4
 * address is zero-padded to 16 bytes: without it 127.0.0.1 and the IPv6 address 7f00:1:: would
 * share their ids. An id is accepted in the window it was issued in and the next
 * one, so it lives 1–2 windows (BEP 15 asks for about two minutes). A client cannot forge one
 * for another address without the secret, which never leaves the process.
 *
 * Every UDP announce checks one, so the HMAC is computed the classic fast way: the SHA-256
 * states after the key's ipad and opad blocks are computed once (with node:crypto's result as
 * the reference in tests), and each id then costs two SHA-256 compressions in JS, on
 * preallocated arrays, instead of two native hash calls and their allocations.
 */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const BLOCK = 64;

/** One SHA-256 compression of the 16 words `w[0..15]` into `state` (w is overwritten). */
function compress(state: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

export class ConnectionIds {
  private readonly windowMs: number;
  private readonly now: () => number;
  /** SHA-256 states after the (key ⊕ ipad) and (key ⊕ opad) blocks. */
  private readonly innerState = new Int32Array(8);
  private readonly outerState = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly w = new Int32Array(64);
  private readonly id = Buffer.alloc(8);

  constructor(options: { secret?: Buffer; windowMs?: number; now?: () => number } = {}) {
    let key = options.secret ?? randomBytes(32);
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    for (const [pad, state] of [
      [0x36, this.innerState],
      [0x5c, this.outerState],
    ] as const) {
      state.set(IV);
      for (let i = 0; i < 16; i++) {
        let word = 0;
        for (let j = 0; j < 4; j++) {
          const k = i * 4 + j < key.length ? key[i * 4 + j] : 0;
          word = (word << 8) | (k ^ pad);
        }
        this.w[i] = word;
      }
      compress(state, this.w);
    }
  }

  /** HMAC of ip (16 bytes, IPv4 zero-padded) · port (2) · window (4) · ip length (1), first 8
   * bytes in `this.id`. */
  private compute(ip: Buffer, port: number, window: number): Buffer {
    const { w, state } = this;
    // Inner message block: 23 message bytes, 0x80, zeros, length (64 + 23) * 8 bits.
    w.fill(0, 0, 16);
    for (let i = 0; i < ip.length; i++) w[i >> 2] |= ip[i] << (24 - 8 * (i & 3));
    w[4] = (port << 16) | (window >>> 16);
    w[5] = ((window & 0xffff) << 16) | (ip.length << 8) | 0x80;
    w[15] = (BLOCK + 23) * 8;
    state.set(this.innerState);
    compress(state, w);
    // Outer block: the 32-byte inner digest, 0x80, zeros, length (64 + 32) * 8 bits.
    for (let i = 0; i < 8; i++) w[i] = state[i];
    w[8] = 0x80000000 | 0;
    w.fill(0, 9, 16);
    w[15] = (BLOCK + 32) * 8;
    state.set(this.outerState);
    compress(state, w);
    this.id.writeInt32BE(state[0], 0);
    this.id.writeInt32BE(state[1], 4);
    return this.id;
  }

  /** A fresh id for this client address. */
  issue(ip: Buffer, port: number): Buffer {
    return Buffer.from(this.compute(ip, port, Math.floor(this.now() / this.windowMs)));
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
