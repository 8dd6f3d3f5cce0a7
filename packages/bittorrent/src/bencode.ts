/**
 * Bencode (BEP 3), strict.
 *
 * Value model:
 * - byte strings decode to `Buffer`s that are *views* into the input (no copy: copy them if you keep
 *   them and reuse the input buffer);
 * - integers are JS numbers; anything outside the safe-integer range is rejected;
 * - lists are arrays;
 * - dictionaries are null-prototype objects whose keys are *binary strings* (one char per byte,
 *   i.e. latin1), so any key round-trips exactly and JS string order equals raw byte order.
 *   ASCII keys, which is all BitTorrent uses outside BEP 52 file trees, read naturally.
 *
 * Decoding accepts dictionaries with unsorted keys (real torrents have them; the info-hash is taken
 * from raw bytes anyway) unless `strictKeyOrder` is set, but always rejects duplicate keys.
 * Encoding always sorts keys, so `encode(decode(x))` is canonical.
 */
import { BencodeError } from './errors';

export type BencodeValue = Buffer | number | BencodeValue[] | BencodeDict;
export interface BencodeDict {
  [key: string]: BencodeValue;
}

/** What `encode` accepts: decoded values plus JS strings (written as UTF-8) and `undefined`
 * dictionary values (omitted, handy for optional fields). */
export type EncodableValue =
  | RawBencode
  | Uint8Array
  | string
  | number
  | readonly EncodableValue[]
  | { readonly [key: string]: EncodableValue | undefined };

/**
 * Already-encoded bencode written verbatim by `encode` (e.g. a torrent's raw `info` dictionary,
 * whose bytes must not change). The caller vouches that `bytes` is one valid bencoded value.
 */
export class RawBencode {
  constructor(readonly bytes: Uint8Array) {}
}

export interface DecodeOptions {
  /** Largest input accepted, in bytes. Default 64 MiB. */
  maxSize?: number;
  /** Deepest nesting of lists/dictionaries accepted (1..1000). Default 64. */
  maxDepth?: number;
  /** Reject dictionaries whose keys are not in ascending byte order. Default false. */
  strictKeyOrder?: boolean;
  /**
   * Keys of the top-level dictionary whose values' exact input bytes are returned in `raw`
   * (e.g. `['info']` for the info-hash).
   */
  rawKeys?: readonly string[];
}

export interface DecodeResult {
  value: BencodeValue;
  /** Offset just past the decoded value. */
  end: number;
  /** Raw bytes (views into the input) of the requested top-level dictionary values. */
  raw: Record<string, Buffer>;
}

export const BENCODE_MAX_SIZE = 64 * 1024 * 1024;
export const BENCODE_MAX_DEPTH = 64;
const MAX_DEPTH_LIMIT = 1000; // keeps the recursive decoder far from the JS stack limit

const I = 0x69; // 'i'
const L = 0x6c; // 'l'
const D = 0x64; // 'd'
const E = 0x65; // 'e'
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

function toBuffer(input: Uint8Array): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (!(input instanceof Uint8Array)) {
    throw new BencodeError('bencode.bad-input', 'bencode input must be a Uint8Array');
  }
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** Short keys are decoded in JS: cheaper than a call into the C++ string decoder. */
function latin1(buf: Buffer, start: number, end: number): string {
  if (end - start > 24) return buf.toString('latin1', start, end);
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

class Decoder {
  pos = 0;
  depth = 0;
  readonly raw: Record<string, Buffer> = {};

  constructor(
    readonly buf: Buffer,
    readonly maxDepth: number,
    readonly strictKeyOrder: boolean,
    readonly rawKeys: readonly string[] | undefined,
  ) {}

  fail(code: string, what: string, at = this.pos): never {
    throw new BencodeError(code, `bencode: ${what} at byte ${at}`);
  }

  value(): BencodeValue {
    const buf = this.buf;
    if (this.pos >= buf.length) this.fail('bencode.truncated', 'unexpected end of input');
    const c = buf[this.pos];
    if (c >= ZERO && c <= NINE) return this.bytes();
    if (c === I) return this.integer();
    if (c === L) return this.list();
    if (c === D) return this.dict();
    return this.fail(
      'bencode.unexpected-byte',
      `unexpected byte 0x${c.toString(16).padStart(2, '0')}`,
    );
  }

  /** Reads `<len>:` and returns the string's start; `this.pos` moves past its end. */
  stringSpan(): number {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let n = 0;
    if (buf[p] === ZERO && buf[p + 1] !== COLON && p + 1 < buf.length) {
      this.fail('bencode.leading-zero', 'string length with a leading zero', start);
    }
    for (; p < buf.length; p++) {
      const c = buf[p];
      if (c === COLON) break;
      if (c < ZERO || c > NINE) this.fail('bencode.bad-length', 'non-digit in string length', p);
      n = n * 10 + (c - ZERO);
      if (n > buf.length) this.fail('bencode.truncated', 'string longer than the input', start);
    }
    if (p >= buf.length) this.fail('bencode.truncated', 'unterminated string length', start);
    const dataStart = p + 1;
    if (dataStart + n > buf.length) {
      this.fail('bencode.truncated', `string of ${n} bytes runs past the end`, start);
    }
    this.pos = dataStart + n;
    return dataStart;
  }

  bytes(): Buffer {
    const s = this.stringSpan();
    return this.buf.subarray(s, this.pos);
  }

  integer(): number {
    const buf = this.buf;
    const start = this.pos;
    let p = start + 1;
    let negative = false;
    if (buf[p] === MINUS) {
      negative = true;
      p++;
    }
    const digitsStart = p;
    let n = 0;
    for (; p < buf.length; p++) {
      const c = buf[p];
      if (c === E) break;
      if (c < ZERO || c > NINE) this.fail('bencode.bad-integer', 'non-digit in integer', p);
      n = n * 10 + (c - ZERO);
    }
    if (p >= buf.length) this.fail('bencode.truncated', 'unterminated integer', start);
    const digits = p - digitsStart;
    if (digits === 0) this.fail('bencode.bad-integer', 'integer without digits', start);
    if (buf[digitsStart] === ZERO && digits > 1) {
      this.fail('bencode.leading-zero', 'integer with a leading zero', start);
    }
    if (negative && n === 0) this.fail('bencode.negative-zero', 'integer -0', start);
    if (digits > 16 || !Number.isSafeInteger(n)) {
      this.fail('bencode.unsafe-integer', 'integer outside the safe range (±2^53-1)', start);
    }
    this.pos = p + 1;
    return negative ? -n : n;
  }

  enter(): void {
    if (++this.depth > this.maxDepth) {
      this.fail('bencode.too-deep', `nesting deeper than ${this.maxDepth}`);
    }
    this.pos++;
  }

  list(): BencodeValue[] {
    this.enter();
    const buf = this.buf;
    const out: BencodeValue[] = [];
    for (;;) {
      if (this.pos >= buf.length) this.fail('bencode.truncated', 'unterminated list');
      if (buf[this.pos] === E) break;
      out.push(this.value());
    }
    this.pos++;
    this.depth--;
    return out;
  }

  dict(): BencodeDict {
    const wantRaw = this.depth === 0 && this.rawKeys !== undefined && this.rawKeys.length > 0;
    this.enter();
    const buf = this.buf;
    const out: BencodeDict = Object.create(null);
    let prev: string | undefined;
    for (;;) {
      if (this.pos >= buf.length) this.fail('bencode.truncated', 'unterminated dictionary');
      const c = buf[this.pos];
      if (c === E) break;
      if (c < ZERO || c > NINE) this.fail('bencode.bad-key', 'dictionary key is not a string');
      const keyAt = this.pos;
      const ks = this.stringSpan();
      const key = latin1(buf, ks, this.pos);
      if (prev !== undefined && key <= prev) {
        if (key === prev || out[key] !== undefined) {
          this.fail(
            'bencode.duplicate-key',
            `duplicate dictionary key ${JSON.stringify(key)}`,
            keyAt,
          );
        }
        if (this.strictKeyOrder) {
          this.fail(
            'bencode.unsorted-key',
            `dictionary key ${JSON.stringify(key)} out of order`,
            keyAt,
          );
        }
      }
      const valueStart = this.pos;
      out[key] = this.value();
      if (wantRaw && this.rawKeys!.includes(key)) {
        this.raw[key] = buf.subarray(valueStart, this.pos);
      }
      if (prev === undefined || key > prev) prev = key;
    }
    this.pos++;
    this.depth--;
    return out;
  }
}

function makeDecoder(input: Uint8Array, options: DecodeOptions): Decoder {
  const buf = toBuffer(input);
  const maxSize = options.maxSize ?? BENCODE_MAX_SIZE;
  const maxDepth = options.maxDepth ?? BENCODE_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
    throw new RangeError(`maxDepth must be an integer in 1..${MAX_DEPTH_LIMIT}`);
  }
  if (buf.length > maxSize) {
    throw new BencodeError(
      'bencode.too-large',
      `bencode: input of ${buf.length} bytes exceeds the limit of ${maxSize}`,
    );
  }
  if (buf.length === 0) throw new BencodeError('bencode.empty', 'bencode: empty input');
  return new Decoder(buf, maxDepth, options.strictKeyOrder ?? false, options.rawKeys);
}

/**
 * Decodes one value at the start of `input` and reports where it ends; bytes after it are the
 * caller's (e.g. the piece data after a BEP 9 ut_metadata dictionary).
 */
export function decodePrefix(input: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const d = makeDecoder(input, options);
  const value = d.value();
  return { value, end: d.pos, raw: d.raw };
}

/** Decodes exactly one value filling all of `input`, with the raw spans of `options.rawKeys`. */
export function decodeDetailed(input: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const r = decodePrefix(input, options);
  if (r.end !== input.length) {
    throw new BencodeError(
      'bencode.trailing',
      `bencode: ${input.length - r.end} bytes of trailing data after the value at byte ${r.end}`,
    );
  }
  return r;
}

/** Decodes exactly one value filling all of `input`. */
export function decode(input: Uint8Array, options: DecodeOptions = {}): BencodeValue {
  return decodeDetailed(input, options).value;
}

// ---------------------------------------------------------------------------------------------
// Encoding: one pass measures the output (and sorts each dictionary's keys once), a second pass
// writes into a single buffer of exactly that size.

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

function digitCount(n: number): number {
  // n is a non-negative safe integer
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

class Encoder {
  /** Sorted key lists of the dictionaries, in the order the traversal meets them. */
  readonly keyLists: string[][] = [];
  /** UTF-8 lengths of the JS strings, in traversal order. */
  readonly strLens: number[] = [];
  depth = 0;
  k = 0;
  s = 0;
  pos = 0;
  buf: Buffer = Buffer.alloc(0);

  fail(what: string): never {
    throw new BencodeError('bencode.unencodable', `bencode: cannot encode ${what}`);
  }

  measure(v: unknown): number {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) this.fail(`the number ${v} (only safe integers)`);
      return (v < 0 ? 3 : 2) + digitCount(Math.abs(v));
    }
    if (typeof v === 'string') {
      const len = Buffer.byteLength(v, 'utf8');
      this.strLens.push(len);
      return digitCount(len) + 1 + len;
    }
    if (v instanceof Uint8Array) return digitCount(v.length) + 1 + v.length;
    if (v instanceof RawBencode) return v.bytes.length;
    if (v === null || typeof v !== 'object') this.fail(`a value of type ${typeof v}`);
    if (++this.depth > MAX_DEPTH_LIMIT) this.fail('a structure nested this deep (or cyclic)');
    let size = 2;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) size += this.measure(v[i]);
    } else {
      const obj = v as Record<string, unknown>;
      const keys: string[] = [];
      let sorted = true;
      for (const key in obj) {
        if (!Object.prototype.hasOwnProperty.call(obj, key) || obj[key] === undefined) continue;
        if (keys.length > 0 && key < keys[keys.length - 1]) sorted = false;
        keys.push(key);
      }
      if (!sorted) keys.sort(); // decoded dictionaries are usually sorted already
      this.keyLists.push(keys);
      for (const key of keys) {
        if (!isLatin1(key)) this.fail(`the key ${JSON.stringify(key)} (keys are latin1)`);
        size += digitCount(key.length) + 1 + key.length + this.measure(obj[key]);
      }
    }
    this.depth--;
    return size;
  }

  uint(n: number): void {
    const end = this.pos + digitCount(n);
    let p = end;
    do {
      this.buf[--p] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    this.pos = end;
  }

  write(v: unknown): void {
    const buf = this.buf;
    if (typeof v === 'number') {
      buf[this.pos++] = I;
      if (v < 0) buf[this.pos++] = MINUS;
      this.uint(Math.abs(v));
      buf[this.pos++] = E;
    } else if (typeof v === 'string') {
      const len = this.strLens[this.s++];
      this.uint(len);
      buf[this.pos++] = COLON;
      this.pos += buf.write(v, this.pos, len, 'utf8');
    } else if (v instanceof Uint8Array) {
      this.uint(v.length);
      buf[this.pos++] = COLON;
      buf.set(v, this.pos);
      this.pos += v.length;
    } else if (v instanceof RawBencode) {
      buf.set(v.bytes, this.pos);
      this.pos += v.bytes.length;
    } else if (Array.isArray(v)) {
      buf[this.pos++] = L;
      for (let i = 0; i < v.length; i++) this.write(v[i]);
      buf[this.pos++] = E;
    } else {
      const obj = v as Record<string, unknown>;
      const keys = this.keyLists[this.k++];
      buf[this.pos++] = D;
      for (const key of keys) {
        this.uint(key.length);
        buf[this.pos++] = COLON;
        if (key.length > 24) {
          this.pos += buf.write(key, this.pos, key.length, 'latin1');
        } else {
          // short keys: a JS loop beats a call into the C++ string encoder
          for (let i = 0; i < key.length; i++) buf[this.pos++] = key.charCodeAt(i);
        }
        this.write(obj[key]);
      }
      buf[this.pos++] = E;
    }
  }
}

/** Encodes `value` canonically (dictionary keys sorted by bytes) into one new buffer. */
export function encode(value: EncodableValue): Buffer {
  const enc = new Encoder();
  const size = enc.measure(value);
  enc.buf = Buffer.allocUnsafe(size);
  enc.write(value);
  if (enc.pos !== size) throw new Error(`bencode encoder wrote ${enc.pos} of ${size} bytes`);
  return enc.buf;
}

/** Number of bytes `encode(value)` produces. */
export function encodedLength(value: EncodableValue): number {
  return new Encoder().measure(value);
}

/** Type guards for walking decoded values. */
export function isDict(v: BencodeValue | undefined): v is BencodeDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
export function isList(v: BencodeValue | undefined): v is BencodeValue[] {
  return Array.isArray(v);
}
export function isBytes(v: BencodeValue | undefined): v is Buffer {
  return Buffer.isBuffer(v);
}
export function isInt(v: BencodeValue | undefined): v is number {
  return typeof v === 'number';
}
