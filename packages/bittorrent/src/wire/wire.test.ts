import fc from 'fast-check';
import { WireError } from '../errors';
import {
  MessageCollector,
  WireDecoder,
  WireEvent,
  WireMessage,
  checkBitfield,
  decodeWireStream,
  encodeExtendedHeader,
  encodeHandshake,
  encodeHave,
  encodeHaves,
  encodeMessage,
  encodePieceHeader,
  encodeRequests,
  parseHandshake,
} from './index';

const infoHash = Buffer.alloc(20, 0xab);
const peerId = Buffer.from('-EJ0100-abcdefghijkl');
const hs = encodeHandshake({ infoHash, peerId, extended: true, fast: true, dht: true });

/** Splits `buf` at the given cut points (any values; taken modulo the length). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (buf.length ? c % (buf.length + 1) : 0)))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

function expectWireError(f: () => unknown, code?: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    if (code) expect((e as WireError).code).toBe(code);
    return;
  }
  throw new Error('expected a WireError');
}

describe('handshake', () => {
  test('layout and reserved bits', () => {
    expect(hs.length).toBe(68);
    expect(hs[0]).toBe(19);
    expect(hs.toString('latin1', 1, 20)).toBe('BitTorrent protocol');
    expect(hs[25] & 0x10).toBe(0x10);
    expect(hs[27] & 0x04).toBe(0x04);
    expect(hs[27] & 0x01).toBe(0x01);
    const p = parseHandshake(hs);
    expect(p).toEqual({
      reserved: hs.subarray(20, 28),
      infoHash,
      peerId,
      extended: true,
      fast: true,
      dht: true,
      v2: false,
    });
    const plain = parseHandshake(encodeHandshake({ infoHash, peerId }));
    expect([plain.extended, plain.fast, plain.dht]).toEqual([false, false, false]);
  });

  test('keeps unknown reserved bits', () => {
    const reserved = Buffer.from([0x80, 0, 0, 0, 0, 0, 0x08, 0]);
    const p = parseHandshake(encodeHandshake({ infoHash, peerId, reserved, extended: true }));
    expect(p.reserved).toEqual(Buffer.from([0x80, 0, 0, 0, 0, 0x10, 0x08, 0]));
  });

  test('rejects another protocol as soon as a byte differs', () => {
    const d = new WireDecoder(new MessageCollector());
    expectWireError(
      () =>
        d.push(Buffer.from([19, 0x42, 0x69, 0x74, 0x54, 0x6f, 0x72, 0x72, 0x65, 0x6e, 0x74, 0x21])),
      'wire.bad-protocol',
    );
    // and keeps failing
    expectWireError(() => d.push(hs), 'wire.bad-protocol');
    expectWireError(
      () => decodeWireStream([Buffer.from('GET / HTTP/1.1\r\n')]),
      'wire.bad-protocol-length',
    );
  });

  test('encoder refuses wrong sizes', () => {
    expectWireError(() => encodeHandshake({ infoHash: Buffer.alloc(19), peerId }));
    expectWireError(() => encodeHandshake({ infoHash, peerId: Buffer.alloc(21) }));
    expectWireError(() => parseHandshake(hs.subarray(0, 67)), 'wire.truncated');
  });
});

describe('messages', () => {
  const all: WireMessage[] = [
    { type: 'bitfield', bitfield: Buffer.from([0xff, 0x80]) },
    { type: 'keep-alive' },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have', index: 7 },
    { type: 'request', index: 1, begin: 16384, length: 16384 },
    { type: 'piece', index: 1, begin: 16384, block: Buffer.from('hello') },
    { type: 'cancel', index: 1, begin: 16384, length: 16384 },
    { type: 'port', port: 6881 },
    { type: 'suggest', index: 3 },
    { type: 'reject', index: 2, begin: 0, length: 100 },
    { type: 'allowed-fast', index: 4 },
    { type: 'extended', id: 0, payload: Buffer.from('d1:md6:ut_pexi1eee') },
    { type: 'unknown', id: 24, payload: Buffer.from([1, 2, 3]) },
  ];

  test('known byte layouts', () => {
    expect(encodeMessage({ type: 'keep-alive' })).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(encodeMessage({ type: 'interested' })).toEqual(Buffer.from([0, 0, 0, 1, 2]));
    expect(encodeHave(0x01020304)).toEqual(Buffer.from([0, 0, 0, 5, 4, 1, 2, 3, 4]));
    expect(encodeMessage({ type: 'request', index: 1, begin: 2, length: 3 })).toEqual(
      Buffer.from([0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]),
    );
    expect(encodeMessage({ type: 'port', port: 0x1ae1 })).toEqual(
      Buffer.from([0, 0, 0, 3, 9, 0x1a, 0xe1]),
    );
    expect(encodeMessage({ type: 'have-all' })).toEqual(Buffer.from([0, 0, 0, 1, 14]));
    expect(encodePieceHeader(1, 2, 16384)).toEqual(
      Buffer.from([0, 0, 0x40, 0x09, 7, 0, 0, 0, 1, 0, 0, 0, 2]),
    );
    expect(encodeExtendedHeader(3, 10)).toEqual(Buffer.from([0, 0, 0, 12, 20, 3]));
  });

  test('every message decodes back, in one chunk and byte by byte', () => {
    const stream = Buffer.concat([hs, ...all.map(encodeMessage)]);
    const expected: WireEvent[] = [{ type: 'handshake', handshake: parseHandshake(hs) }, ...all];
    expect(decodeWireStream([stream])).toEqual(expected);
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(decodeWireStream(bytes)).toEqual(expected);
  });

  test('batched requests and haves', () => {
    const reqs = [
      { index: 0, begin: 0, length: 16384 },
      { index: 0, begin: 16384, length: 16384 },
      { index: 5, begin: 32768, length: 100 },
    ];
    const haves = [1, 2, 0xffffffff];
    const events = decodeWireStream([encodeRequests(reqs), encodeHaves(haves)], {
      handshake: false,
    });
    expect(events).toEqual([
      ...reqs.map((r) => ({ type: 'request', ...r })),
      ...haves.map((index) => ({ type: 'have', index })),
    ]);
  });

  test('a piece wholly inside a chunk is a view of it; a split one is assembled once', () => {
    const block = Buffer.alloc(16384, 7);
    const msg = Buffer.concat([encodePieceHeader(3, 0, block.length), block]);
    const chunk = Buffer.concat([msg, msg]);
    const c = new MessageCollector();
    const d = new WireDecoder(c, { handshake: false });
    d.push(chunk.subarray(0, 20000));
    d.push(chunk.subarray(20000));
    const [first, second] = c.events as { type: 'piece'; block: Buffer }[];
    expect(first.block.buffer).toBe(chunk.buffer);
    expect(first.block.byteOffset).toBe(chunk.byteOffset + 13);
    expect(second.block.buffer).not.toBe(chunk.buffer);
    expect(first.block).toEqual(block);
    expect(second.block).toEqual(block);
  });

  test('encoders refuse out-of-range values', () => {
    expectWireError(() => encodeHave(-1), 'wire.bad-value');
    expectWireError(() => encodeHave(2 ** 32), 'wire.bad-value');
    expectWireError(() => encodeMessage({ type: 'port', port: 70000 }), 'wire.bad-value');
    expectWireError(() => encodeExtendedHeader(256, 0), 'wire.bad-value');
  });
});

describe('decoder validation', () => {
  const noHs = { handshake: false } as const;
  const decodeOne = (bytes: number[], opts = {}) =>
    decodeWireStream([Buffer.from(bytes)], { ...noHs, ...opts });

  test('a 4 GB length prefix is refused from its 4 bytes alone', () => {
    const d = new WireDecoder(new MessageCollector(), noHs);
    expectWireError(() => d.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), 'wire.too-long');
    const d2 = new WireDecoder(new MessageCollector(), noHs);
    d2.push(Buffer.from([0xff, 0xff]));
    expectWireError(() => d2.push(Buffer.from([0xff, 0xfe])), 'wire.too-long');
    expectWireError(() => decodeOne([0xff, 0xff, 0xff, 0xff, 7]), 'wire.too-long');
  });

  test('lengths are checked per message type', () => {
    expectWireError(() => decodeOne([0, 0, 0, 2, 0, 0]), 'wire.bad-length'); // choke + 1
    expectWireError(() => decodeOne([0, 0, 0, 4, 4, 0, 0, 0]), 'wire.bad-length'); // short have
    expectWireError(() => decodeOne([0, 0, 0, 2, 9, 0]), 'wire.bad-length'); // short port
    expectWireError(() => decodeOne([0, 0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0]), 'wire.bad-length'); // empty block
    // a piece larger than the block limit is refused before its body arrives
    expectWireError(() => decodeOne([0, 0, 0x40, 0x0a, 7]), 'wire.bad-length');
    expect(() => decodeOne([0, 0, 0x40, 0x0a, 7], { maxBlockLength: 32768 })).not.toThrow();
  });

  test('requests with a zero or oversized length, indexes out of range', () => {
    const req = (len: number) => [0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(len)];
    expectWireError(() => decodeOne(req(0)), 'wire.bad-block-length');
    expectWireError(() => decodeOne(req(16385)), 'wire.bad-block-length');
    expect(decodeOne(req(16384))).toHaveLength(1);
    expectWireError(
      () => decodeOne([0, 0, 0, 5, 4, 0, 0, 0, 10], { pieceCount: 10 }),
      'wire.bad-index',
    );
    expect(decodeOne([0, 0, 0, 5, 4, 0, 0, 0, 9], { pieceCount: 10 })).toHaveLength(1);
  });

  test('bitfields: exact size and spare bits once the piece count is known, only once', () => {
    expect(decodeOne([0, 0, 0, 3, 5, 0xff, 0xc0], { pieceCount: 10 })).toHaveLength(1);
    expectWireError(
      () => decodeOne([0, 0, 0, 3, 5, 0xff, 0xe0], { pieceCount: 10 }),
      'wire.bad-bitfield',
    );
    expectWireError(() => decodeOne([0, 0, 0, 2, 5, 0xff], { pieceCount: 10 }), 'wire.bad-length');
    expectWireError(
      () => decodeOne([0, 0, 0, 2, 5, 0xff, 0, 0, 0, 1, 14]),
      'wire.duplicate-bitfield',
    );
    expect(() => checkBitfield(Buffer.from([0xff]), 8)).not.toThrow();
    expectWireError(() => checkBitfield(Buffer.from([0x01]), 7), 'wire.bad-bitfield');
  });

  test('fast and extended messages need both sides to have negotiated them', () => {
    expectWireError(() => decodeOne([0, 0, 0, 1, 14], { fast: false }), 'wire.fast-not-negotiated');
    expectWireError(
      () => decodeOne([0, 0, 0, 2, 20, 0], { extended: false }),
      'wire.extension-not-negotiated',
    );
    const plainHs = encodeHandshake({ infoHash, peerId });
    expectWireError(
      () => decodeWireStream([plainHs, Buffer.from([0, 0, 0, 1, 15])]),
      'wire.fast-not-negotiated',
    );
    const d = new WireDecoder(new MessageCollector());
    d.push(hs);
    expect([d.fastEnabled, d.extendedEnabled]).toEqual([true, true]);
  });

  test('a throwing handler stops the decoder; onHandshake can set the piece count', () => {
    const c = new MessageCollector();
    const d = new WireDecoder(c, noHs);
    c.onChoke = () => {
      throw new RangeError('engine bug');
    };
    expect(() => d.push(Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 1, 2]))).toThrow(RangeError);
    d.push(Buffer.from([0, 0, 0, 1, 2]));
    expect(c.events).toEqual([]);

    const c2 = new MessageCollector();
    const d2 = new WireDecoder(c2);
    c2.onHandshake = () => d2.setPieceCount(4);
    const haveOutOfRange = Buffer.from([0, 0, 0, 5, 4, 0, 0, 0, 4]);
    expectWireError(() => d2.push(Buffer.concat([hs, haveOutOfRange])), 'wire.bad-index');
  });

  test('destroy() stops at once, even mid-chunk', () => {
    const c = new MessageCollector();
    const d = new WireDecoder(c, noHs);
    c.onChoke = () => d.destroy();
    d.push(Buffer.from([0, 0, 0, 1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3]));
    expect(c.events).toEqual([{ type: 'interested' }]);
    d.push(Buffer.from([0, 0, 0, 1, 2]));
    expect(c.events).toHaveLength(1);
  });
});

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

// ---------------------------------------------------------------------------------------------
// Properties

const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const blockLen = fc.integer({ min: 1, max: 16384 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const messageArb: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>(
    { type: 'keep-alive' },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
  ),
  u32Arb.map((index): WireMessage => ({ type: 'have', index })),
  u32Arb.map((index): WireMessage => ({ type: 'suggest', index })),
  u32Arb.map((index): WireMessage => ({ type: 'allowed-fast', index })),
  fc
    .tuple(fc.constantFrom('request', 'cancel', 'reject'), u32Arb, u32Arb, blockLen)
    .map(([type, index, begin, length]) => ({ type, index, begin, length }) as WireMessage),
  fc
    .tuple(u32Arb, u32Arb, fc.uint8Array({ minLength: 1, maxLength: 300 }))
    .map(([index, begin, b]): WireMessage => ({
      type: 'piece',
      index,
      begin,
      block: Buffer.from(b),
    })),
  fc.integer({ min: 0, max: 0xffff }).map((port): WireMessage => ({ type: 'port', port })),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), bytes(200))
    .map(([id, payload]): WireMessage => ({ type: 'extended', id, payload })),
  fc
    .tuple(fc.integer({ min: 24, max: 255 }), bytes(50))
    .map(([id, payload]): WireMessage => ({ type: 'unknown', id, payload })),
);

const firstArb: fc.Arbitrary<WireMessage[]> = fc.oneof(
  fc.constant<WireMessage[]>([]),
  fc.constant<WireMessage[]>([{ type: 'have-all' }]),
  fc.constant<WireMessage[]>([{ type: 'have-none' }]),
  fc
    .uint8Array({ minLength: 1, maxLength: 100 })
    .map((b) => [{ type: 'bitfield', bitfield: Buffer.from(b) } as WireMessage]),
);

const streamArb = fc
  .tuple(firstArb, fc.array(messageArb, { maxLength: 40 }))
  .map(([first, rest]) => [...first, ...rest]);

describe('properties', () => {
  test('encode → decode is the identity, however the stream is split', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const stream = Buffer.concat([hs, ...msgs.map(encodeMessage)]);
        const events = decodeWireStream(split(stream, cuts));
        expect(events).toEqual([{ type: 'handshake', handshake: parseHandshake(hs) }, ...msgs]);
      }),
      { numRuns: 300 },
    );
  });

  test('fuzz: random bytes either decode or fail with WireError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 10 }),
        (input, withHs, cuts) => {
          const buf = Buffer.from(input);
          const stream = withHs ? Buffer.concat([hs, buf]) : buf;
          try {
            decodeWireStream(split(stream, cuts), { handshake: withHs, pieceCount: 50 });
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('fuzz: parseHandshake and checkBitfield accept or throw WireError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (random, mutations, pieces) => {
          const mutated = Buffer.from(hs);
          for (const [pos, v] of mutations) mutated[pos % mutated.length] = v;
          for (const input of [random, mutated]) {
            for (const f of [() => parseHandshake(input), () => checkBitfield(input, pieces)]) {
              try {
                f();
              } catch (e) {
                if (!(e instanceof WireError)) throw e;
              }
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('fuzz: mutated valid streams either decode or fail with WireError', () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (msgs, mutations, cuts) => {
          const stream = Buffer.concat([hs, ...msgs.map(encodeMessage)]);
          for (const [pos, val] of mutations) stream[pos % stream.length] = val;
          try {
            decodeWireStream(split(stream, cuts), { maxMessageLength: 4096 });
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
