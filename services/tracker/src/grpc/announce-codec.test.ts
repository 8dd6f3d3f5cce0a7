import { AnnounceResponse } from '@enjambre/proto';
import fc from 'fast-check';
import { encodeAnnounceResponse } from './announce-codec';

const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000),
  fc.nat({ max: 0xffffffff }),
);
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const peer = fc.record({
  ip: bytes(16),
  port: fc.nat({ max: 65535 }),
  peerId: bytes(20),
  address: fc.string({ maxLength: 40 }),
});
const response = fc.record({
  interval: uint32,
  minInterval: uint32,
  peers: fc.oneof(fc.array(peer, { maxLength: 0 }), fc.array(peer, { maxLength: 5 })),
  seeders: uint32,
  leechers: uint32,
  // Past 127 bytes the length takes two varint bytes; 50 IPv4 peers are 300.
  peers4: bytes(400),
  peers6: bytes(200),
});

describe('encodeAnnounceResponse', () => {
  it('writes exactly the bytes of the generated encoder, compact or not', () => {
    fc.assert(
      fc.property(response, (m) => {
        const ours = encodeAnnounceResponse(m);
        expect(Buffer.isBuffer(ours)).toBe(true);
        expect(ours.equals(Buffer.from(AnnounceResponse.encode(m).finish()))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips a compact answer of 50 IPv4 and 50 IPv6 peers', () => {
    const m = {
      interval: 1800,
      minInterval: 60,
      peers: [],
      seeders: 70_000,
      leechers: 3,
      peers4: Buffer.alloc(300, 7),
      peers6: Buffer.alloc(900, 9),
    };
    const decoded = AnnounceResponse.decode(encodeAnnounceResponse(m));
    expect(decoded.interval).toBe(1800);
    expect(decoded.minInterval).toBe(60);
    expect(decoded.seeders).toBe(70_000);
    expect(decoded.leechers).toBe(3);
    expect(Buffer.from(decoded.peers4).equals(m.peers4)).toBe(true);
    expect(Buffer.from(decoded.peers6).equals(m.peers6)).toBe(true);
  });
});
