import fc from 'fast-check';
import { TrackerCodecError } from '../errors';
import {
  decodeCompactPeers,
  encodeCompactPeers,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  writeCompactPeer4,
  writeCompactPeer6,
} from './compact';
import {
  UdpAnnounceRequest,
  UdpAnnounceRequestInit,
  createUdpAnnounceRequest,
  decodeUdpAnnounceRequest,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  udpTransactionId,
  writeUdpAnnounceResponseHeader,
} from './udp';

function expectCodecError(f: () => unknown, code?: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrackerCodecError);
    if (code) expect((e as TrackerCodecError).code).toBe(code);
    return;
  }
  throw new Error('expected a TrackerCodecError');
}

const connId = Buffer.from('0102030405060708', 'hex');
const announce: UdpAnnounceRequestInit = {
  connectionId: connId,
  transactionId: 0xdeadbeef,
  infoHash: Buffer.alloc(20, 0x11),
  peerId: Buffer.from('-EJ0100-000000000000'),
  downloaded: 2 ** 40 + 5,
  left: 0,
  uploaded: 123,
  event: 'started',
  ip: 0,
  key: 42,
  numWant: -1,
  port: 6881,
};

describe('compact peers and addresses', () => {
  test('IPv4', () => {
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    expect(formatIPv4(0xc0000201)).toBe('192.0.2.1');
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d']) {
      expect(parseIPv4(bad)).toBe(-1);
    }
    const peers = [
      { ip: '127.0.0.1', port: 6881 },
      { ip: '255.255.255.255', port: 65535 },
    ];
    const c = encodeCompactPeers(peers, 4);
    expect(c.toString('hex')).toBe('7f0000011ae1ffffffffffff');
    expect(decodeCompactPeers(c, 4)).toEqual(peers);
    expectCodecError(() => decodeCompactPeers(c.subarray(1), 4), 'tracker.bad-compact-peers');
    expectCodecError(() => encodeCompactPeers([{ ip: '::1', port: 1 }], 4), 'tracker.bad-ip');
    expectCodecError(() => encodeCompactPeers([{ ip: '1.2.3.4', port: 70000 }], 4));
    const raw = Buffer.alloc(24);
    let o = writeCompactPeer4(raw, 0, 0x7f000001, 6881);
    o = writeCompactPeer6(raw, o, parseIPv6('2001:db8::1')!, 443);
    expect(o).toBe(24);
    expect(decodeCompactPeers(raw.subarray(0, 6), 4)).toEqual([peers[0]]);
    expect(decodeCompactPeers(raw.subarray(6), 6)).toEqual([{ ip: '2001:db8::1', port: 443 }]);
  });

  test('IPv6 text', () => {
    expect(parseIPv6('::1')?.toString('hex')).toBe('00000000000000000000000000000001');
    expect(parseIPv6('2001:db8::ff00:42:8329')?.toString('hex')).toBe(
      '20010db8000000000000ff0000428329',
    );
    expect(parseIPv6('::ffff:192.0.2.1')?.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(formatIPv6(parseIPv6('2001:0db8:0000:0000:0001:0000:0000:0001')!)).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6(Buffer.alloc(16))).toBe('::');
    expect(formatIPv6(parseIPv6('::ffff:10.0.0.1')!)).toBe('::ffff:10.0.0.1');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':::', 'g::1', '1.2.3.4', '']) {
      expect(parseIPv6(bad)).toBeNull();
    }
  });

  test('property: IPv4 and IPv6 text ↔ bytes round trips', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (v4, v6, port) => {
        expect(formatIPv4(parseIPv4(v4))).toBe(v4);
        const b = parseIPv6(v6);
        expect(b).not.toBeNull();
        expect(parseIPv6(formatIPv6(b!))).toEqual(b);
        const peers6 = decodeCompactPeers(encodeCompactPeers([{ ip: v6, port }], 6), 6);
        expect(parseIPv6(peers6[0].ip)).toEqual(b);
        expect(peers6[0].port).toBe(port);
      }),
      { numRuns: 500 },
    );
  });
});

describe('UDP tracker packets', () => {
  test('connect request and response', () => {
    const req = encodeUdpConnectRequest(0x01020304);
    expect(req.toString('hex')).toBe('0000041727101980' + '00000000' + '01020304');
    expect(decodeUdpRequest(req)).toEqual({ action: 'connect', transactionId: 0x01020304 });
    const bad = Buffer.from(req);
    bad[0] = 1;
    expectCodecError(() => decodeUdpRequest(bad), 'udp.bad-protocol-id');
    expectCodecError(
      () => decodeUdpRequest(Buffer.concat([req, Buffer.alloc(1)])),
      'udp.bad-length',
    );

    const res = encodeUdpConnectResponse(0x01020304, connId);
    expect(res.toString('hex')).toBe('00000000010203040102030405060708');
    expect(decodeUdpResponse(res)).toEqual({
      action: 'connect',
      transactionId: 0x01020304,
      connectionId: connId,
    });
  });

  test('announce request round trip, layout and reuse of the result object', () => {
    const pkt = encodeUdpAnnounceRequest(announce);
    expect(pkt.length).toBe(98);
    expect(pkt.readUInt32BE(8)).toBe(1);
    expect(pkt.readBigUInt64BE(56)).toBe(BigInt(2 ** 40 + 5));
    expect(pkt.readUInt32BE(80)).toBe(2); // started
    expect(pkt.readInt32BE(92)).toBe(-1);
    expect(pkt.readUInt16BE(96)).toBe(6881);
    const expected = { ...announce, action: 'announce', urlData: '' };
    expect(decodeUdpRequest(pkt)).toEqual(expected);

    const out = createUdpAnnounceRequest();
    const ids = [out.connectionId, out.infoHash, out.peerId];
    const r = decodeUdpAnnounceRequest(pkt, out);
    expect(r).toBe(out);
    expect([out.connectionId, out.infoHash, out.peerId]).toEqual(ids);
    expect(out.connectionId).toBe(ids[0]);
    expect(out).toEqual(expected);
  });

  test('BEP 41 URL data survives, split in 255-byte options', () => {
    const urlData = '/announce?passkey=' + 'x'.repeat(300);
    const pkt = encodeUdpAnnounceRequest({ ...announce, urlData });
    expect(pkt.length).toBe(98 + urlData.length + 4);
    expect((decodeUdpRequest(pkt) as UdpAnnounceRequest).urlData).toBe(urlData);
    // a no-op, an unknown option and the end marker
    const extra = Buffer.concat([
      encodeUdpAnnounceRequest(announce),
      Buffer.from([1, 9, 2, 0xaa, 0xbb, 2, 3, 0x2f, 0x61, 0x62, 0, 0xff]),
    ]);
    expect(decodeUdpAnnounceRequest(extra).urlData).toBe('/ab');
    const truncated = Buffer.concat([encodeUdpAnnounceRequest(announce), Buffer.from([2, 5, 1])]);
    expectCodecError(() => decodeUdpAnnounceRequest(truncated), 'udp.bad-option');
  });

  test('announce requests with bad fields', () => {
    const pkt = encodeUdpAnnounceRequest(announce);
    expectCodecError(() => decodeUdpRequest(pkt.subarray(0, 97)), 'udp.truncated');
    const ev = Buffer.from(pkt);
    ev.writeUInt32BE(4, 80);
    expectCodecError(() => decodeUdpRequest(ev), 'udp.bad-event');
    const neg = Buffer.from(pkt);
    neg.writeInt32BE(-1, 64);
    expectCodecError(() => decodeUdpRequest(neg), 'udp.negative');
    const big = Buffer.from(pkt);
    big.writeUInt32BE(0x00400000, 72);
    expectCodecError(() => decodeUdpRequest(big), 'udp.too-large');
    expectCodecError(
      () => decodeUdpRequest(Buffer.concat([pkt, Buffer.alloc(1500)])),
      'udp.too-long',
    );
    expectCodecError(() => encodeUdpAnnounceRequest({ ...announce, left: -1 }), 'udp.bad-value');
    expectCodecError(() => encodeUdpAnnounceRequest({ ...announce, infoHash: Buffer.alloc(19) }));
  });

  test('announce responses over IPv4 and IPv6', () => {
    const peers4 = [
      { ip: '10.0.0.1', port: 1 },
      { ip: '10.0.0.2', port: 65535 },
    ];
    const res4 = encodeUdpAnnounceResponse({
      transactionId: 7,
      interval: 1800,
      leechers: 3,
      seeders: 4,
      peers: encodeCompactPeers(peers4, 4),
      family: 4,
    });
    expect(res4.length).toBe(32);
    expect(decodeUdpResponse(res4, 4)).toEqual({
      action: 'announce',
      transactionId: 7,
      interval: 1800,
      leechers: 3,
      seeders: 4,
      peers: peers4,
    });
    expectCodecError(() => decodeUdpResponse(res4, 6), 'udp.bad-length');

    const peers6 = [{ ip: '2001:db8::1', port: 6881 }];
    const out = Buffer.alloc(1500);
    const res6 = encodeUdpAnnounceResponse(
      {
        transactionId: 8,
        interval: 60,
        leechers: 0,
        seeders: 1,
        peers: encodeCompactPeers(peers6, 6),
        family: 6,
      },
      out,
    );
    expect(res6.buffer).toBe(out.buffer);
    expect(res6.length).toBe(38);
    expect((decodeUdpResponse(res6, 6) as { peers: unknown }).peers).toEqual(peers6);

    // the header writer for trackers that put peers in place themselves
    const buf = Buffer.alloc(64);
    expect(writeUdpAnnounceResponseHeader(buf, 9, 10, 11, 12)).toBe(20);
    expect(decodeUdpResponse(buf.subarray(0, 20))).toEqual({
      action: 'announce',
      transactionId: 9,
      interval: 10,
      leechers: 11,
      seeders: 12,
      peers: [],
    });
    expectCodecError(
      () =>
        encodeUdpAnnounceResponse({
          ...{ transactionId: 1, interval: 1, leechers: 0, seeders: 0 },
          peers: Buffer.alloc(7),
          family: 4,
        }),
      'udp.bad-value',
    );
    expectCodecError(
      () => encodeUdpConnectResponse(1, connId, Buffer.alloc(8)),
      'udp.buffer-too-small',
    );
  });

  test('scrape requests and responses', () => {
    const hashes = [Buffer.alloc(20, 1), Buffer.alloc(20, 2)];
    const req = encodeUdpScrapeRequest(connId, 5, hashes);
    expect(decodeUdpRequest(req)).toEqual({
      action: 'scrape',
      connectionId: connId,
      transactionId: 5,
      infoHashes: hashes,
    });
    const tooMany = Buffer.concat([req.subarray(0, 16), Buffer.alloc(75 * 20)]);
    expectCodecError(() => decodeUdpRequest(tooMany), 'udp.too-many-hashes');
    expectCodecError(() => decodeUdpRequest(req.subarray(0, 40)), 'udp.bad-length');
    expectCodecError(() => decodeUdpRequest(req.subarray(0, 16)), 'udp.truncated');
    expectCodecError(() => encodeUdpScrapeRequest(connId, 5, []), 'udp.bad-value');

    const files = [
      { complete: 1, downloaded: 2, incomplete: 3 },
      { complete: 0, downloaded: 0, incomplete: 0 },
    ];
    const res = encodeUdpScrapeResponse(5, files);
    expect(res.length).toBe(32);
    expect(decodeUdpResponse(res)).toEqual({ action: 'scrape', transactionId: 5, files });
    expectCodecError(() => decodeUdpResponse(res.subarray(0, 31)), 'udp.bad-length');
  });

  test('error responses and transaction ids of junk', () => {
    const res = encodeUdpErrorResponse(77, 'torrent not registered ✗');
    expect(decodeUdpResponse(res)).toEqual({
      action: 'error',
      transactionId: 77,
      message: 'torrent not registered ✗',
    });
    expect(udpTransactionId(encodeUdpConnectRequest(99))).toBe(99);
    expect(udpTransactionId(Buffer.alloc(15))).toBe(-1);
    expectCodecError(() => decodeUdpResponse(Buffer.alloc(7)), 'udp.truncated');
    const unknown = Buffer.alloc(16);
    unknown.writeUInt32BE(9, 0);
    expectCodecError(() => decodeUdpResponse(unknown), 'udp.bad-action');
  });

  const announceArb: fc.Arbitrary<UdpAnnounceRequestInit> = fc.record({
    connectionId: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a)),
    transactionId: fc.integer({ min: 0, max: 0xffffffff }),
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
    peerId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
    downloaded: fc.maxSafeNat(),
    left: fc.maxSafeNat(),
    uploaded: fc.maxSafeNat(),
    event: fc.constantFrom('none', 'completed', 'started', 'stopped'),
    ip: fc.integer({ min: 0, max: 0xffffffff }),
    key: fc.integer({ min: 0, max: 0xffffffff }),
    numWant: fc.integer({ min: -1, max: 0x7fffffff }),
    port: fc.integer({ min: 0, max: 65535 }),
    urlData: fc.string({ maxLength: 600 }).map((s) => Buffer.from(s).toString('latin1')),
  });

  test('property: announce request encode → decode is the identity', () => {
    fc.assert(
      fc.property(announceArb, (a) => {
        expect(decodeUdpRequest(encodeUdpAnnounceRequest(a))).toEqual({ ...a, action: 'announce' });
      }),
      { numRuns: 300 },
    );
  });

  test('property: responses encode → decode is the identity', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        u32,
        u32,
        u32,
        u32,
        fc.array(fc.record({ ip: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) }), {
          maxLength: 50,
        }),
        fc.array(fc.record({ complete: u32, downloaded: u32, incomplete: u32 }), { maxLength: 74 }),
        (tid, interval, leechers, seeders, peers, files) => {
          const a = encodeUdpAnnounceResponse({
            transactionId: tid,
            interval,
            leechers,
            seeders,
            peers: encodeCompactPeers(peers, 4),
            family: 4,
          });
          expect(decodeUdpResponse(a)).toEqual({
            action: 'announce',
            transactionId: tid,
            interval,
            leechers,
            seeders,
            peers,
          });
          expect(decodeUdpResponse(encodeUdpScrapeResponse(tid, files))).toEqual({
            action: 'scrape',
            transactionId: tid,
            files,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  const safely = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof TrackerCodecError)) throw e;
    }
  };

  test('fuzz: random packets decode or fail with TrackerCodecError', () => {
    const head = fc.constantFrom(0, 1, 2, 3, 4);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), head, (bytes, action) => {
        const b = Buffer.from(bytes);
        safely(() => decodeUdpRequest(b));
        safely(() => decodeUdpResponse(b, 4));
        safely(() => decodeUdpResponse(b, 6));
        // with a plausible action field, to get past the first check
        if (b.length >= 12) {
          b.writeUInt32BE(action, 8);
          safely(() => decodeUdpRequest(b));
          b.writeUInt32BE(action, 0);
          safely(() => decodeUdpResponse(b, 4));
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('fuzz: mutated announce requests decode or fail with TrackerCodecError', () => {
    const reused = createUdpAnnounceRequest();
    fc.assert(
      fc.property(
        announceArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (a, mutations, cut) => {
          const pkt = encodeUdpAnnounceRequest(a);
          for (const [pos, v] of mutations) pkt[pos % pkt.length] = v;
          safely(() => decodeUdpRequest(pkt));
          safely(() => decodeUdpAnnounceRequest(pkt, reused));
          safely(() => decodeUdpRequest(pkt.subarray(0, cut % (pkt.length + 1))));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
