import fc from 'fast-check';
import { decode, encode } from '../bencode';
import { TrackerCodecError } from '../errors';
import { encodeCompactPeers } from './compact';
import {
  HttpAnnounceRequestInit,
  HttpPeer,
  buildAnnounceUrl,
  buildScrapeUrl,
  decodeHttpAnnounceResponse,
  decodeHttpScrapeResponse,
  encodeHttpAnnounceResponse,
  encodeHttpFailure,
  encodeHttpScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  percentEncode,
  scrapeUrlFor,
} from './http';

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

const infoHash = Buffer.from('12345678901234567890abcdef0123456789ffee'.slice(0, 40), 'hex');
const peerId = Buffer.from('-EJ0100-\x00\xff%&+= ~.abc', 'latin1');
const req: HttpAnnounceRequestInit = {
  infoHash,
  peerId,
  port: 6881,
  uploaded: 0,
  downloaded: 100,
  left: 2 ** 40,
  event: 'started',
  numWant: 50,
  key: 'a1b2',
};

describe('announce URLs', () => {
  test('binary ids are percent-encoded byte by byte', () => {
    expect(percentEncode(Buffer.from([0x00, 0x41, 0x7e, 0x2b, 0xff, 0x2d]))).toBe('%00A~%2B%FF-');
    const url = buildAnnounceUrl('http://t.example:6969/announce', req);
    expect(url).toBe(
      'http://t.example:6969/announce?info_hash=%124Vx%90%124Vx%90%AB%CD%EF%01%23Eg%89%FF%EE' +
        '&peer_id=-EJ0100-%00%FF%25%26%2B%3D%20~.abc&port=6881&uploaded=0&downloaded=100' +
        '&left=1099511627776&compact=1&event=started&numwant=50&key=a1b2',
    );
    expect(buildAnnounceUrl('http://t/announce?passkey=x', req)).toMatch(
      /^http:\/\/t\/announce\?passkey=x&info_hash=/,
    );
    expectCodecError(() => buildAnnounceUrl('http://t/a', { ...req, infoHash: Buffer.alloc(19) }));
    expectCodecError(() => buildAnnounceUrl('http://t/a', { ...req, left: -1 }), 'http.bad-value');
  });

  test('the tracker parses exactly what the client built', () => {
    const url = buildAnnounceUrl('http://t/announce', {
      ...req,
      noPeerId: true,
      trackerId: 'tid',
      ip: '10.0.0.1',
      ipv6: '2001:db8::1',
    });
    const parsed = parseAnnounceQuery(url.slice(url.indexOf('/announce')));
    expect(parsed).toEqual({
      ...req,
      compact: true,
      noPeerId: true,
      trackerId: 'tid',
      ip: '10.0.0.1',
      ipv6: '2001:db8::1',
    });
  });

  test('a URL built by WHATWG URLSearchParams rules (+ unescaped) still gives 20 bytes', () => {
    // opentracker-style: only %XX is decoded, so a raw "+" is the byte 0x2b
    const q = `info_hash=${'+'.repeat(20)}&peer_id=${'A'.repeat(20)}&port=1`;
    expect(parseAnnounceQuery(q).infoHash).toEqual(Buffer.alloc(20, 0x2b));
  });

  test("aria2's binary key is kept byte for byte", () => {
    // as aria2 1.36 sends it
    const q =
      '/announce?info_hash=%E3%A7%B0%01%E6%06%B7%D4%A7%60%DEE%A4%DDb%23%B9%18%C54' +
      '&peer_id=A2-1-36-0-%7B%D3%94%D5%A5K%10%E6%FA%F9&uploaded=0&downloaded=0&left=0' +
      '&compact=1&key=%94%D5%A5K%10%E6%FA%F9&numwant=50&no_peer_id=1&port=17010' +
      '&event=started&supportcrypto=1';
    const r = parseAnnounceQuery(q);
    expect(Buffer.from(r.key!, 'latin1').toString('hex')).toBe('94d5a54b10e6faf9');
    expect(r.infoHash.toString('hex')).toBe('e3a7b001e606b7d4a760de45a4dd6223b918c534');
    expect(buildAnnounceUrl('http://t/announce', r)).toContain('&key=%94%D5%A5K%10%E6%FA%F9');
    expectCodecError(() => buildAnnounceUrl('http://t/a', { ...req, key: '✓' }), 'http.bad-value');
  });

  test('bad queries give clear errors', () => {
    const base = `info_hash=${percentEncode(infoHash)}&peer_id=${percentEncode(peerId)}`;
    expect(parseAnnounceQuery(`${base}&port=1&foo=bar&supportcrypto=1`).event).toBe('none');
    expectCodecError(() => parseAnnounceQuery(`${base}`), 'http.missing-param');
    expectCodecError(() => parseAnnounceQuery(`peer_id=x&port=1`), 'http.bad-peer-id');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=0`), 'http.bad-port');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=65536`), 'http.bad-port');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=x`), 'http.bad-number');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=1&left=-5`), 'http.negative');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=1&uploaded=1e5`), 'http.bad-number');
    expectCodecError(() => parseAnnounceQuery(`${base}&port=1&event=bogus`), 'http.bad-event');
    expectCodecError(
      () => parseAnnounceQuery(`${base}&port=1&info_hash=${percentEncode(infoHash)}`),
      'http.duplicate-param',
    );
    expectCodecError(
      () => parseAnnounceQuery(`info_hash=%12%34&peer_id=${percentEncode(peerId)}&port=1`),
      'http.bad-info-hash',
    );
    expectCodecError(() => parseAnnounceQuery(`info_hash=%1&port=1`), 'http.bad-escape');
    expectCodecError(() => parseAnnounceQuery(`info_hash=%zz&port=1`), 'http.bad-escape');
    expectCodecError(() => parseAnnounceQuery(`info_hash=\u0100&port=1`), 'http.bad-escape');
    expectCodecError(() => parseAnnounceQuery('a'.repeat(9000)), 'http.too-long');
  });
});

describe('scrape URLs', () => {
  test('BEP 48 announce → scrape convention', () => {
    expect(scrapeUrlFor('http://example.com/announce')).toBe('http://example.com/scrape');
    expect(scrapeUrlFor('http://example.com/x/announce')).toBe('http://example.com/x/scrape');
    expect(scrapeUrlFor('http://example.com/announce.php')).toBe('http://example.com/scrape.php');
    expect(scrapeUrlFor('http://example.com/announce?x2%0644')).toBe(
      'http://example.com/scrape?x2%0644',
    );
    expect(scrapeUrlFor('http://example.com/a')).toBeNull();
    expect(scrapeUrlFor('http://example.com/announce?x=2/4')).toBe(
      'http://example.com/scrape?x=2/4',
    );
    expect(scrapeUrlFor('http://example.com/x%064announce')).toBeNull();
  });

  test('several info-hashes round trip, with a limit', () => {
    const hashes = [infoHash, Buffer.alloc(20, 0xff), Buffer.alloc(20, 0x25)];
    const url = buildScrapeUrl('http://t/scrape', hashes);
    expect(parseScrapeQuery(url)).toEqual({ infoHashes: hashes });
    expect(parseScrapeQuery('')).toEqual({ infoHashes: [] });
    expectCodecError(
      () => parseScrapeQuery(buildScrapeUrl('http://t/scrape', hashes), { maxScrapeHashes: 2 }),
      'http.too-many-hashes',
    );
    expectCodecError(() => parseScrapeQuery('info_hash=abc'), 'http.bad-info-hash');
  });
});

describe('announce responses', () => {
  const peers4 = [
    { ip: '10.1.2.3', port: 6881 },
    { ip: '192.168.0.1', port: 1 },
  ];
  const peers6 = [{ ip: '2001:db8::7', port: 51413 }];

  test('compact: exact bytes with sorted keys, and back', () => {
    const body = encodeHttpAnnounceResponse({
      interval: 1800,
      minInterval: 900,
      complete: 5,
      incomplete: 3,
      externalIp: '203.0.113.9',
      peers: encodeCompactPeers(peers4, 4),
      peers6: encodeCompactPeers(peers6, 6),
      trackerId: 'abc',
      warningMessage: 'hi',
    });
    // what the generic bencode encoder makes of the same dictionary
    expect(body).toEqual(
      encode({
        complete: 5,
        'external ip': Buffer.from([203, 0, 113, 9]),
        incomplete: 3,
        interval: 1800,
        'min interval': 900,
        peers: encodeCompactPeers(peers4, 4),
        peers6: encodeCompactPeers(peers6, 6),
        'tracker id': 'abc',
        'warning message': 'hi',
      }),
    );
    expect(decodeHttpAnnounceResponse(body)).toEqual({
      interval: 1800,
      minInterval: 900,
      complete: 5,
      incomplete: 3,
      externalIp: '203.0.113.9',
      trackerId: 'abc',
      warningMessage: 'hi',
      peers: [...peers4, ...peers6],
    });
    expect(encodeHttpAnnounceResponse({ interval: 60 }).toString()).toBe(
      'd8:intervali60e5:peers0:e',
    );
  });

  test('dictionary model, with and without peer ids', () => {
    const dictPeers: HttpPeer[] = [
      { ip: '10.0.0.1', port: 1, peerId: Buffer.alloc(20, 1) },
      { ip: 'peer.example', port: 2 },
    ];
    const body = encodeHttpAnnounceResponse({ interval: 10, peers: dictPeers });
    expect(decode(body)).toEqual(
      decode(
        encode({
          interval: 10,
          peers: [
            { ip: '10.0.0.1', 'peer id': Buffer.alloc(20, 1), port: 1 },
            { ip: 'peer.example', port: 2 },
          ],
        }),
      ),
    );
    expect(decodeHttpAnnounceResponse(body)).toEqual({ interval: 10, peers: dictPeers });
  });

  test('failures and malformed answers', () => {
    expect(decodeHttpAnnounceResponse(encodeHttpFailure('unregistered torrent'))).toEqual({
      failureReason: 'unregistered torrent',
    });
    expect(decodeHttpAnnounceResponse(encodeHttpFailure('go away', 'never'))).toEqual({
      failureReason: 'go away',
      retryIn: 'never',
    });
    expect(decodeHttpAnnounceResponse(encodeHttpFailure('later', 30))).toEqual({
      failureReason: 'later',
      retryIn: 30,
    });
    expectCodecError(() => decodeHttpAnnounceResponse(Buffer.from('<html>')), 'http.bad-bencode');
    expectCodecError(() => decodeHttpAnnounceResponse(Buffer.from('le')), 'http.bad-response');
    expectCodecError(
      () => decodeHttpAnnounceResponse(Buffer.from('d5:peers0:e')),
      'http.bad-response',
    );
    expectCodecError(
      () => decodeHttpAnnounceResponse(Buffer.from('d8:intervali1e5:peers5:abcdee')),
      'http.bad-response',
    );
    expectCodecError(
      () => decodeHttpAnnounceResponse(Buffer.from('d8:intervali-1e5:peers0:e')),
      'http.bad-response',
    );
  });
});

describe('scrape responses', () => {
  test('round trip with names and flags', () => {
    const files = [
      { infoHash: Buffer.alloc(20, 9), complete: 1, downloaded: 20, incomplete: 3, name: 'x.iso' },
      { infoHash: Buffer.alloc(20, 1), complete: 0, downloaded: 0, incomplete: 0 },
    ];
    const body = encodeHttpScrapeResponse({ files, minRequestInterval: 900 });
    const back = decodeHttpScrapeResponse(body);
    if (back.failureReason !== undefined) throw new Error('unexpected failure');
    expect(back.minRequestInterval).toBe(900);
    // keys come back in sorted (byte) order
    expect(back.files).toEqual([files[1], files[0]]);
    expectCodecError(
      () => decodeHttpScrapeResponse(Buffer.from('d5:filesd3:abcdeee')),
      'http.bad-response',
    );
    expect(decodeHttpScrapeResponse(encodeHttpFailure('no'))).toEqual({ failureReason: 'no' });
  });
});

describe('properties', () => {
  const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
  const count = fc.maxSafeNat();
  const binary = fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a).toString('latin1'));

  test('announce request: build URL → parse is the identity', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            infoHash: bytes20,
            peerId: bytes20,
            port: fc.integer({ min: 1, max: 65535 }),
            uploaded: count,
            downloaded: count,
            left: count,
            event: fc.constantFrom('none', 'started', 'completed', 'stopped'),
            compact: fc.boolean(),
            noPeerId: fc.constant(true),
            numWant: fc.integer({ min: 0, max: 1000 }),
            key: binary,
            trackerId: binary,
            ip: fc.ipV4(),
            ipv6: fc.ipV6(),
          },
          {
            requiredKeys: ['infoHash', 'peerId', 'port', 'uploaded', 'downloaded', 'left', 'event'],
          },
        ),
        (r) => {
          const parsed = parseAnnounceQuery(buildAnnounceUrl('http://t/announce', r));
          expect(parsed).toEqual({ ...r, compact: r.compact ?? true });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('announce response: encode → decode is the identity', () => {
    const peer = fc.record({ ip: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) });
    fc.assert(
      fc.property(
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(peer, { maxLength: 30 }),
        fc.boolean(),
        (interval, complete, peers, compact) => {
          const body = encodeHttpAnnounceResponse({
            interval,
            complete,
            peers: compact ? encodeCompactPeers(peers, 4) : peers,
          });
          const expected: Record<string, unknown> = { interval, peers };
          if (complete !== undefined) expected.complete = complete;
          expect(decodeHttpAnnounceResponse(body)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  const safely = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof TrackerCodecError)) throw e;
    }
  };

  test('fuzz: query strings parse or fail with TrackerCodecError', () => {
    const piece = fc.oneof(
      fc.constantFrom('info_hash=', 'peer_id=', 'port=', '&', '%', '%2', '=', 'left=-', 'event='),
      fc.string({ maxLength: 30 }),
      bytes20.map((b) => percentEncode(b)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const q = parts.join('');
        safely(() => parseAnnounceQuery(q));
        safely(() => parseScrapeQuery(q));
      }),
      { numRuns: 3000 },
    );
  });

  test('fuzz: response bodies (random and mutated) decode or fail with TrackerCodecError', () => {
    const valid = encodeHttpAnnounceResponse({
      interval: 1800,
      complete: 1,
      peers: encodeCompactPeers([{ ip: '1.2.3.4', port: 5 }], 4),
      peers6: encodeCompactPeers([{ ip: '::1', port: 5 }], 6),
      externalIp: '::2',
    });
    const scrape = encodeHttpScrapeResponse({
      files: [{ infoHash: Buffer.alloc(20), complete: 1, downloaded: 2, incomplete: 3, name: 'n' }],
      minRequestInterval: 5,
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (random, mutations) => {
          safely(() => decodeHttpAnnounceResponse(random));
          safely(() => decodeHttpScrapeResponse(random));
          for (const src of [valid, scrape]) {
            const m = Buffer.from(src);
            for (const [pos, v] of mutations) m[pos % m.length] = v;
            safely(() => decodeHttpAnnounceResponse(m));
            safely(() => decodeHttpScrapeResponse(m));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
