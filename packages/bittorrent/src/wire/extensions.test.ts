import fc from 'fast-check';
import { decode, encode } from '../bencode';
import { WireError } from '../errors';
import {
  METADATA_PIECE_LENGTH,
  MetadataMessage,
  PexFlags,
  PexMessage,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  decodePexMessage,
  encodeExtendedHandshake,
  encodeMetadataMessage,
  encodePexMessage,
  metadataPieceCount,
} from './extensions';

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

describe('extended handshake', () => {
  test('encodes the BEP 10 keys and decodes them back', () => {
    const payload = encodeExtendedHandshake({
      m: { ut_metadata: 1, ut_pex: 2 },
      v: 'enjambre 0.1.0',
      p: 6881,
      reqq: 500,
      metadataSize: 31235,
      yourip: '127.0.0.1',
    });
    expect(payload.toString('latin1')).toBe(
      'd1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e4:reqqi500e' +
        '1:v14:enjambre 0.1.06:yourip4:\x7f\x00\x00\x01e',
    );
    const h = decodeExtendedHandshake(payload);
    expect({ ...h, raw: undefined }).toEqual({
      m: { ut_metadata: 1, ut_pex: 2 },
      v: 'enjambre 0.1.0',
      p: 6881,
      reqq: 500,
      metadataSize: 31235,
      yourip: '127.0.0.1',
      raw: undefined,
    });
  });

  test('a libtorrent-like handshake with extra keys and odd values', () => {
    const payload = encode({
      m: { lt_donthave: 7, upload_only: 3, ut_holepunch: 4, ut_metadata: 2, ut_pex: 1, bogus: 'x' },
      metadata_size: 1234,
      p: 0,
      reqq: 500,
      upload_only: 1,
      v: 'libtorrent 2.0.8',
      yourip: Buffer.from('20010db8000000000000000000000001', 'hex'),
      complete_ago: -1,
    });
    const h = decodeExtendedHandshake(payload);
    expect(h.m).toEqual({
      lt_donthave: 7,
      upload_only: 3,
      ut_holepunch: 4,
      ut_metadata: 2,
      ut_pex: 1,
    });
    expect(h.p).toBeUndefined();
    expect(h.uploadOnly).toBe(true);
    expect(h.yourip).toBe('2001:db8::1');
    expect(h.raw?.complete_ago).toBe(-1);
  });

  test('errors', () => {
    expectWireError(() => decodeExtendedHandshake(Buffer.from('i1e')), 'wire.bad-bencode');
    expectWireError(
      () => decodeExtendedHandshake(Buffer.from('d1:mi1ee')),
      'wire.bad-extended-handshake',
    );
    expectWireError(() => decodeExtendedHandshake(Buffer.from('d1:m')), 'wire.bad-bencode');
    expectWireError(() => encodeExtendedHandshake({ m: { x: 256 } }), 'wire.bad-value');
  });
});

describe('ut_metadata', () => {
  test('request, reject and data layouts', () => {
    expect(encodeMetadataMessage({ type: 'request', piece: 0 }).toString()).toBe(
      'd8:msg_typei0e5:piecei0ee',
    );
    expect(encodeMetadataMessage({ type: 'reject', piece: 3 }).toString()).toBe(
      'd8:msg_typei2e5:piecei3ee',
    );
    const data = Buffer.from('xyz');
    const msg = encodeMetadataMessage({ type: 'data', piece: 1, totalSize: 16384 + 3, data });
    expect(msg.toString()).toBe('d8:msg_typei1e5:piecei1e10:total_sizei16387eexyz');
    const back = decodeMetadataMessage(msg);
    expect(back).toEqual({ type: 'data', piece: 1, totalSize: 16387, data });
    expect((back as { data: Buffer }).data.buffer).toBe(msg.buffer);
    expect(metadataPieceCount(16387)).toBe(2);
    expect(metadataPieceCount(16384)).toBe(1);
  });

  test('inconsistent messages are refused', () => {
    const full = (piece: number, totalSize: number, n: number) =>
      Buffer.concat([encode({ msg_type: 1, piece, total_size: totalSize }), Buffer.alloc(n)]);
    expect(decodeMetadataMessage(full(0, 20000, 16384)).type).toBe('data');
    expectWireError(() => decodeMetadataMessage(full(0, 20000, 100)), 'wire.bad-metadata-message');
    expectWireError(() => decodeMetadataMessage(full(2, 20000, 0)), 'wire.bad-metadata-message');
    expectWireError(() => decodeMetadataMessage(full(0, 0, 0)), 'wire.bad-metadata-message');
    expectWireError(
      () => decodeMetadataMessage(Buffer.from('d8:msg_typei0e5:piecei0eeX')),
      'wire.bad-metadata-message',
    );
    expectWireError(
      () => decodeMetadataMessage(Buffer.from('d8:msg_typei5e5:piecei0ee')),
      'wire.bad-metadata-message',
    );
    expectWireError(
      () => decodeMetadataMessage(Buffer.from('d8:msg_typei0ee')),
      'wire.bad-metadata-message',
    );
    expectWireError(() => decodeMetadataMessage(Buffer.from('')), 'wire.bad-bencode');
  });

  test('property: round trip', () => {
    const arb: fc.Arbitrary<MetadataMessage> = fc.oneof(
      fc.nat().map((piece): MetadataMessage => ({ type: 'request', piece })),
      fc.nat().map((piece): MetadataMessage => ({ type: 'reject', piece })),
      fc.integer({ min: 1, max: 10 * METADATA_PIECE_LENGTH }).chain((totalSize) =>
        fc
          .integer({ min: 0, max: metadataPieceCount(totalSize) - 1 })
          .map((piece): MetadataMessage => {
            const n = Math.min(METADATA_PIECE_LENGTH, totalSize - piece * METADATA_PIECE_LENGTH);
            return { type: 'data', piece, totalSize, data: Buffer.alloc(n, piece) };
          }),
      ),
    );
    fc.assert(
      fc.property(arb, (m) => {
        expect(decodeMetadataMessage(encodeMetadataMessage(m))).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ut_pex', () => {
  const msg: PexMessage = {
    added: [
      { ip: '10.0.0.1', port: 6881, flags: PexFlags.Seed | PexFlags.Reachable },
      { ip: '10.0.0.2', port: 1, flags: 0 },
      { ip: '2001:db8::5', port: 51413, flags: PexFlags.Utp },
    ],
    dropped: [
      { ip: '10.0.0.9', port: 9 },
      { ip: '::1', port: 10 },
    ],
  };

  test('round trip with flags and both families', () => {
    const payload = encodePexMessage(msg);
    const d = decode(payload) as Record<string, Buffer>;
    expect(d.added.length).toBe(12);
    expect([...d['added.f']]).toEqual([0x12, 0]);
    expect(d.added6.length).toBe(18);
    expect(d.dropped.length).toBe(6);
    expect(d.dropped6.length).toBe(18);
    expect(decodePexMessage(payload)).toEqual(msg);
  });

  test('missing flags count as 0, bad lengths and floods are refused', () => {
    const noFlags = encode({ added: Buffer.from([1, 2, 3, 4, 0, 5]) });
    expect(decodePexMessage(noFlags)).toEqual({
      added: [{ ip: '1.2.3.4', port: 5, flags: 0 }],
      dropped: [],
    });
    expectWireError(() => decodePexMessage(encode({ added: Buffer.alloc(7) })), 'wire.bad-pex');
    expectWireError(() => decodePexMessage(encode({ added: 5 })), 'wire.bad-pex');
    expectWireError(
      () => decodePexMessage(encode({ dropped: Buffer.alloc(6 * 201) })),
      'wire.pex-too-many',
    );
    expectWireError(
      () => encodePexMessage({ added: [{ ip: 'nope', port: 1, flags: 0 }], dropped: [] }),
      'wire.bad-value',
    );
  });

  test('property: round trip', () => {
    const peer = fc.record({
      ip: fc.oneof(
        fc.ipV4(),
        fc.ipV6().map((s) => s),
      ),
      port: fc.integer({ min: 0, max: 65535 }),
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ip: fc.ipV4(),
            port: fc.integer({ min: 0, max: 65535 }),
            flags: fc.integer({ min: 0, max: 255 }),
          }),
          { maxLength: 50 },
        ),
        fc.array(peer, { maxLength: 50 }),
        (added, dropped) => {
          const back = decodePexMessage(encodePexMessage({ added, dropped }));
          expect(back.added).toEqual(added);
          // IPv4 first, then IPv6; IPv6 text is normalised
          expect(back.dropped.length).toBe(dropped.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

test('fuzz: every payload decoder either decodes or throws WireError', () => {
  const seeds = [
    encodeExtendedHandshake({ m: { ut_metadata: 1 }, metadataSize: 100, yourip: '::1', v: 'x' }),
    encodeMetadataMessage({ type: 'data', piece: 0, totalSize: 10, data: Buffer.alloc(10) }),
    encodePexMessage({
      added: [{ ip: '1.1.1.1', port: 1, flags: 2 }],
      dropped: [{ ip: '::2', port: 2 }],
    }),
  ];
  const decoders = [decodeExtendedHandshake, decodeMetadataMessage, decodePexMessage];
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 100 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
      (random, mutations, cut) => {
        const inputs: Uint8Array[] = [random];
        for (const s of seeds) {
          const m = Buffer.from(s);
          for (const [pos, v] of mutations) m[pos % m.length] = v;
          inputs.push(m, m.subarray(0, cut % (m.length + 1)));
        }
        for (const input of inputs) {
          for (const dec of decoders) {
            try {
              dec(input);
            } catch (e) {
              if (!(e instanceof WireError)) throw e;
            }
          }
        }
      },
    ),
    { numRuns: 2000 },
  );
});
