import fc from 'fast-check';
import { encode } from '@enjambre/bittorrent';
import {
  encodeExtHandshake,
  encodeMetadataData,
  encodePex,
  MAX_REQUEST_QUEUE,
  parseExtHandshake,
  parseMetadataMessage,
  parsePex,
} from './extensions';

test('extension payloads round-trip', () => {
  const hs = parseExtHandshake(
    encodeExtHandshake({ metadataSize: 1234, port: 6881, privateTorrent: false }),
  );
  expect(hs.m.get('ut_metadata')).toBe(2);
  expect(hs.m.get('ut_pex')).toBe(1);
  expect(hs).toMatchObject({
    metadataSize: 1234,
    port: 6881,
    reqq: MAX_REQUEST_QUEUE,
    v: 'enjambre 0.1',
  });
  expect(parseExtHandshake(encodeExtHandshake({ privateTorrent: true })).m.has('ut_pex')).toBe(
    false,
  );
  const data = Buffer.alloc(40000 - 2 * 16384, 9);
  expect(parseMetadataMessage(encodeMetadataData(2, 40000, data))).toEqual({
    type: 'data',
    piece: 2,
    totalSize: 40000,
    data,
  });
  const pex = parsePex(encodePex({ added: [{ host: '10.0.0.1', port: 51413 }], dropped: [] }));
  expect(pex.added).toEqual([{ host: '10.0.0.1', port: 51413 }]);
});

test('hostile ut_metadata and ut_pex payloads are bounded', () => {
  expect(() =>
    parseMetadataMessage(encodeMetadataData(0, 17 * 1024 * 1024, Buffer.alloc(10))),
  ).toThrow();
  expect(() =>
    parseMetadataMessage(encodeMetadataData(0, 40000, Buffer.alloc(16 * 1024 + 1))),
  ).toThrow();
  const some = Buffer.alloc(6 * 150, 1);
  expect(parsePex(encode({ added: some })).added.length).toBeLessThanOrEqual(100);
  const flood = Buffer.alloc(6 * 1000, 1);
  expect(() => parsePex(encode({ added: flood }))).toThrow();
});

test('fuzz: the extension parsers only ever throw Errors on arbitrary bytes', () => {
  const parsers = [parseExtHandshake, parseMetadataMessage, parsePex];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(2), (bytes, which) => {
      try {
        parsers[which](Buffer.from(bytes));
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }),
    { numRuns: 2000 },
  );
  // structurally valid bencode with wrong types
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.constantFrom('m', 'msg_type', 'piece', 'total_size', 'added', 'p', 'v', 'reqq'),
        fc.oneof(fc.integer(), fc.string(), fc.constant([])),
      ),
      (d) => {
        const b = encode(d);
        for (const p of parsers) {
          try {
            p(b);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
});
