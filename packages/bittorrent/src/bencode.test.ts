import fc from 'fast-check';
import {
  BencodeValue,
  RawBencode,
  decode,
  decodeDetailed,
  decodePrefix,
  encode,
  encodedLength,
  isBytes,
  isDict,
} from './bencode';
import { BencodeError, ProtocolError } from './errors';

const b = (s: string) => Buffer.from(s, 'latin1');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BencodeError) return e.code;
    throw e;
  }
  throw new Error('expected a BencodeError');
}

describe('decode', () => {
  test('integers', () => {
    expect(decode(b('i0e'))).toBe(0);
    expect(decode(b('i42e'))).toBe(42);
    expect(decode(b('i-42e'))).toBe(-42);
    expect(decode(b('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode(b('i-9007199254740991e'))).toBe(-Number.MAX_SAFE_INTEGER);
  });

  test('rejects malformed integers with specific codes', () => {
    expect(codeOf(() => decode(b('i-0e')))).toBe('bencode.negative-zero');
    expect(codeOf(() => decode(b('i03e')))).toBe('bencode.leading-zero');
    expect(codeOf(() => decode(b('i-03e')))).toBe('bencode.leading-zero');
    expect(codeOf(() => decode(b('i00e')))).toBe('bencode.leading-zero');
    expect(codeOf(() => decode(b('ie')))).toBe('bencode.bad-integer');
    expect(codeOf(() => decode(b('i-e')))).toBe('bencode.bad-integer');
    expect(codeOf(() => decode(b('i+1e')))).toBe('bencode.bad-integer');
    expect(codeOf(() => decode(b('i1.5e')))).toBe('bencode.bad-integer');
    expect(codeOf(() => decode(b('i12')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('i9007199254740992e')))).toBe('bencode.unsafe-integer');
    expect(codeOf(() => decode(b('i99999999999999999999e')))).toBe('bencode.unsafe-integer');
  });

  test('byte strings are views into the input', () => {
    const input = b('4:spam');
    const v = decode(input) as Buffer;
    expect(v.toString()).toBe('spam');
    expect(v.buffer).toBe(input.buffer);
    expect(decode(b('0:'))).toEqual(Buffer.alloc(0));
  });

  test('plain Uint8Array input works', () => {
    const u = new Uint8Array(b('l1:ai1ee'));
    expect(decode(u)).toEqual([b('a'), 1]);
  });

  test('rejects malformed strings', () => {
    expect(codeOf(() => decode(b('01:a')))).toBe('bencode.leading-zero');
    expect(codeOf(() => decode(b('5:abc')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('3')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('99999999999999999999:a')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('1a:x')))).toBe('bencode.bad-length');
  });

  test('lists and dictionaries', () => {
    expect(decode(b('le'))).toEqual([]);
    expect(decode(b('li1e3:fooe'))).toEqual([1, b('foo')]);
    const d = decode(b('d3:bar4:spam3:fooi42ee'));
    expect(isDict(d)).toBe(true);
    expect(d).toEqual({ bar: b('spam'), foo: 42 });
    expect(Object.getPrototypeOf(d)).toBeNull();
  });

  test('dictionary keys are binary strings', () => {
    const d = decode(Buffer.from([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65])) as Record<
      string,
      BencodeValue
    >;
    expect(Object.keys(d)).toEqual(['\xff']);
    expect(encode(d)).toEqual(Buffer.from([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]));
  });

  test('__proto__ is an ordinary key', () => {
    const d = decode(b('d9:__proto__i1ee')) as Record<string, BencodeValue>;
    expect(d['__proto__']).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('unsorted keys are accepted unless strict; duplicates never', () => {
    expect(decode(b('d1:bi1e1:ai2ee'))).toEqual({ a: 2, b: 1 });
    expect(codeOf(() => decode(b('d1:bi1e1:ai2ee'), { strictKeyOrder: true }))).toBe(
      'bencode.unsorted-key',
    );
    expect(codeOf(() => decode(b('d1:ai1e1:ai2ee')))).toBe('bencode.duplicate-key');
    expect(codeOf(() => decode(b('d1:bi1e1:ai2e1:bi3ee')))).toBe('bencode.duplicate-key');
    expect(codeOf(() => decode(b('di1ei2ee')))).toBe('bencode.bad-key');
  });

  test('truncation and garbage', () => {
    expect(codeOf(() => decode(b('')))).toBe('bencode.empty');
    expect(codeOf(() => decode(b('l')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('d3:foo')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('d3:fooi1e')))).toBe('bencode.truncated');
    expect(codeOf(() => decode(b('x')))).toBe('bencode.unexpected-byte');
    expect(codeOf(() => decode(b('i1ei2e')))).toBe('bencode.trailing');
    expect(codeOf(() => decode(b('i1e ')))).toBe('bencode.trailing');
  });

  test('limits: size and depth (10^5 levels fail cleanly)', () => {
    expect(codeOf(() => decode(b('4:spam'), { maxSize: 5 }))).toBe('bencode.too-large');
    const deep = b('l'.repeat(100_000) + 'e'.repeat(100_000));
    expect(codeOf(() => decode(deep))).toBe('bencode.too-deep');
    const deepDict = b('d1:a'.repeat(100_000));
    expect(codeOf(() => decode(deepDict))).toBe('bencode.too-deep');
    expect(decode(b('llllee' + 'ee'), { maxDepth: 4 })).toEqual([[[[]]]]);
    expect(codeOf(() => decode(b('llllleeeee'), { maxDepth: 4 }))).toBe('bencode.too-deep');
    expect(() => decode(b('le'), { maxDepth: 0 })).toThrow(RangeError);
  });

  test('decodePrefix reports the end and leaves trailing bytes alone', () => {
    const msg = Buffer.concat([b('d8:msg_typei1e5:piecei0ee'), Buffer.from([1, 2, 3])]);
    const r = decodePrefix(msg);
    expect(r.value).toEqual({ msg_type: 1, piece: 0 });
    expect(r.end).toBe(msg.length - 3);
    expect(msg.subarray(r.end)).toEqual(Buffer.from([1, 2, 3]));
  });

  test('raw spans of top-level keys are the exact input bytes', () => {
    // unsorted, non-canonical inner dict: the raw bytes must not be a re-encoding
    const info = 'd4:name1:a6:lengthi1ee';
    const input = b(`d8:announce3:url4:info${info}e`);
    const r = decodeDetailed(input, { rawKeys: ['info', 'missing'] });
    expect(r.raw.info.toString('latin1')).toBe(info);
    expect(r.raw.missing).toBeUndefined();
    expect(encode(isDict(r.value) ? r.value.info : 0).toString('latin1')).not.toBe(info);
    // nested dictionaries named like a raw key are not captured
    const nested = decodeDetailed(b('d1:xd4:infoi1eee'), { rawKeys: ['info'] });
    expect(nested.raw.info).toBeUndefined();
  });
});

describe('encode', () => {
  test('all types, keys sorted by bytes, undefined omitted', () => {
    expect(encode(0).toString()).toBe('i0e');
    expect(encode(-7).toString()).toBe('i-7e');
    expect(encode('spam').toString()).toBe('4:spam');
    expect(encode('ñ').toString('latin1')).toBe('2:\xc3\xb1');
    expect(encode(new Uint8Array([0, 255]))).toEqual(Buffer.from('2:\x00\xff', 'latin1'));
    expect(encode([]).toString()).toBe('le');
    expect(encode({ b: 1, a: [2, 'x'], c: undefined, B: 3 }).toString()).toBe(
      'd1:Bi3e1:ali2e1:xe1:bi1ee',
    );
    expect(encode({ ['\xff']: 1, z: 2 }).toString('latin1')).toBe('d1:zi2e1:\xffi1ee');
  });

  test('refuses what bencode cannot hold', () => {
    expect(codeOf(() => encode(1.5))).toBe('bencode.unencodable');
    expect(codeOf(() => encode(Number.NaN))).toBe('bencode.unencodable');
    expect(codeOf(() => encode(2 ** 60))).toBe('bencode.unencodable');
    expect(codeOf(() => encode(true as unknown as number))).toBe('bencode.unencodable');
    expect(codeOf(() => encode(null as unknown as number))).toBe('bencode.unencodable');
    expect(codeOf(() => encode({ ['é€']: 1 }))).toBe('bencode.unencodable');
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(codeOf(() => encode(cyclic as never))).toBe('bencode.unencodable');
  });

  test('integer-like keys sort as bytes; inherited properties are not keys', () => {
    expect(encode({ '9': 2, '10': 1, a: 0 }).toString()).toBe('d2:10i1e1:9i2e1:ai0ee');
    const proto = { inherited: 1 };
    const obj = Object.assign(Object.create(proto), { own: 2 });
    expect(encode(obj).toString()).toBe('d3:owni2ee');
  });

  test('RawBencode is written verbatim', () => {
    const raw = new RawBencode(Buffer.from('d1:bi1e1:ai2ee')); // unsorted on purpose
    expect(encode({ z: 1, info: raw }).toString()).toBe('d4:infod1:bi1e1:ai2ee1:zi1ee');
    expect(encodedLength([raw])).toBe(16);
  });

  test('encodedLength matches', () => {
    const v = { a: ['héllo', 12345, -1, new Uint8Array(300)], b: { c: 0 } };
    expect(encodedLength(v)).toBe(encode(v).length);
  });
});

// Arbitrary decoded values: what decode can produce.
const { value: arbValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .dictionary(
        fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
        tie('value'),
        { maxKeys: 5 },
      )
      .map((o) => Object.assign(Object.create(null), o)),
  ),
}));

describe('properties', () => {
  test('decode(encode(v)) equals v and encode is canonical', () => {
    fc.assert(
      fc.property(arbValue, (v) => {
        const enc = encode(v as BencodeValue);
        const back = decode(enc, { strictKeyOrder: true });
        expect(back).toEqual(v);
        expect(encode(back)).toEqual(enc);
      }),
      { numRuns: 500 },
    );
  });

  test('decodePrefix finds the end whatever follows', () => {
    fc.assert(
      fc.property(arbValue, fc.uint8Array({ maxLength: 20 }), (v, tail) => {
        const enc = encode(v as BencodeValue);
        const r = decodePrefix(Buffer.concat([enc, tail]));
        expect(r.end).toBe(enc.length);
      }),
      { numRuns: 300 },
    );
  });
});

function parsesOrBencodeError(input: Uint8Array): void {
  try {
    const v = decode(input, { maxDepth: 32 });
    // whatever decodes re-encodes to something that decodes to the same value
    expect(decode(encode(v))).toEqual(v);
  } catch (e) {
    if (!(e instanceof BencodeError) || !(e instanceof ProtocolError)) throw e;
    expect(e.code).toMatch(/^bencode\./);
  }
}

describe('fuzz', () => {
  test('random bytes either decode or throw BencodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), parsesOrBencodeError), {
      numRuns: 2000,
    });
  });

  test('random bencode-alphabet strings either decode or throw BencodeError', () => {
    const alphabet = fc.constantFrom(...'ilde0123456789:-x'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (chars) =>
        parsesOrBencodeError(b(chars.join(''))),
      ),
      { numRuns: 3000 },
    );
  });

  test('mutated valid encodings either decode or throw BencodeError', () => {
    fc.assert(
      fc.property(
        arbValue,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(2)), {
          minLength: 1,
          maxLength: 4,
        }),
        (v, mutations) => {
          let bytes = Buffer.from(encode(v as BencodeValue));
          for (const [at, byte, kind] of mutations) {
            const i = bytes.length === 0 ? 0 : at % bytes.length;
            if (kind === 0) bytes[i] = byte;
            else if (kind === 1) bytes = bytes.subarray(0, i);
            else
              bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
          }
          parsesOrBencodeError(bytes);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('isBytes distinguishes strings', () => {
    expect(isBytes(decode(b('1:a')))).toBe(true);
    expect(isBytes(decode(b('i1e')))).toBe(false);
  });
});
