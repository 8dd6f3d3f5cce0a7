import fc from 'fast-check';
import { MagnetError } from './errors';
import { formatMagnet, magnetFromMetainfo, parseMagnet } from './magnet';

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
// the same 20 bytes in RFC 4648 base32
const B32 = Buffer.from(HEX, 'hex');

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of buf) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MagnetError) return e.code;
    throw e;
  }
  throw new Error('expected a MagnetError');
}

describe('parseMagnet', () => {
  test('hex hash, name, trackers, web seeds, peers, select-only', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=My+File%20%C3%B1&tr=http%3A%2F%2Ft%2Fa&tr=udp://u:80` +
        `&tr.1=http%3A%2F%2Ft%2Fa&ws=http%3A%2F%2Fseed%2F&x.pe=1.2.3.4:6881&x.pe=%5B%3A%3A1%5D%3A51413` +
        `&so=0,2,4-6&xl=123&unknown`,
    );
    expect(m.infoHash).toBe(HEX);
    expect(m.infoHashBuffer).toEqual(Buffer.from(HEX, 'hex'));
    expect(m.name).toBe('My File ñ');
    expect(m.trackers).toEqual(['http://t/a', 'udp://u:80']);
    expect(m.webSeeds).toEqual(['http://seed/']);
    expect(m.peers).toEqual([
      { host: '1.2.3.4', port: 6881 },
      { host: '::1', port: 51413 },
    ]);
    expect(m.selectOnly).toEqual([0, 2, 4, 5, 6]);
  });

  test('base32 hash, upper and lower case', () => {
    const b = base32(B32);
    expect(b).toHaveLength(32);
    expect(parseMagnet(`magnet:?xt=urn:btih:${b}`).infoHash).toBe(HEX);
    expect(parseMagnet(`MAGNET:?xt=urn:btih:${b.toLowerCase()}`).infoHash).toBe(HEX);
  });

  test('hybrid links carry both hashes; v2-only links the truncated v2 hash', () => {
    const v2 = 'ab'.repeat(16) + 'cd'.repeat(16);
    const hybrid = parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${v2}`);
    expect(hybrid.infoHash).toBe(HEX);
    expect(hybrid.infoHashV2).toBe(v2);
    expect(hybrid.v2Only).toBeUndefined();
    expect(formatMagnet(hybrid)).toBe(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${v2}`);
    const only = parseMagnet(`magnet:?xt=urn:btmh:1220${v2.toUpperCase()}&dn=x`);
    expect(only.v2Only).toBe(true);
    expect(only.infoHashV2).toBe(v2);
    expect(only.infoHash).toBe(v2.slice(0, 40));
    expect(only.infoHashBuffer).toEqual(Buffer.from(v2.slice(0, 40), 'hex'));
    expect(formatMagnet(only)).toBe(`magnet:?xt=urn:btmh:1220${v2}&dn=x`);
    expect(parseMagnet(formatMagnet(only))).toEqual(only);
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btmh:1114${v2}`))).toBe('magnet.bad-hash');
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btmh:1220${v2.slice(2)}`))).toBe(
      'magnet.bad-hash',
    );
    expect(
      codeOf(() => parseMagnet(`magnet:?xt=urn:btmh:1220${v2}&xt=urn:btmh:1220${'0'.repeat(64)}`)),
    ).toBe('magnet.conflicting-hash');
  });

  test('errors', () => {
    expect(codeOf(() => parseMagnet('http://x'))).toBe('magnet.not-a-magnet');
    expect(codeOf(() => parseMagnet('magnet:?dn=x'))).toBe('magnet.missing-hash');
    expect(codeOf(() => parseMagnet('magnet:?xt=urn:btih:abc'))).toBe('magnet.bad-hash');
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${'1'.repeat(32)}`))).toBe(
      'magnet.bad-hash',
    );
    expect(
      codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`)),
    ).toBe('magnet.conflicting-hash');
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&dn=%E0%A4%A`))).toBe(
      'magnet.bad-escape',
    );
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&x.pe=host`))).toBe(
      'magnet.bad-peer',
    );
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&x.pe=h:70000`))).toBe(
      'magnet.bad-peer',
    );
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=5-2`))).toBe(
      'magnet.bad-select',
    );
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=0-999999999`))).toBe(
      'magnet.bad-select',
    );
    expect(codeOf(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&tr=${'a'.repeat(70000)}`))).toBe(
      'magnet.too-long',
    );
    expect(codeOf(() => parseMagnet(42 as unknown as string))).toBe('magnet.not-a-magnet');
  });
});

describe('formatMagnet', () => {
  test('writes what parse reads', () => {
    const uri = formatMagnet({
      infoHash: Buffer.from(HEX, 'hex'),
      name: 'a & b=c',
      trackers: ['http://t/a?x=1&y=2'],
      webSeeds: ['http://s/'],
      peers: [{ host: '::1', port: 1 }],
      selectOnly: [3, 0, 1, 2, 7],
    });
    expect(uri).toContain(`xt=urn:btih:${HEX}`);
    expect(uri).toContain('so=0-3,7');
    const back = parseMagnet(uri);
    expect(back.name).toBe('a & b=c');
    expect(back.trackers).toEqual(['http://t/a?x=1&y=2']);
    expect(back.peers).toEqual([{ host: '::1', port: 1 }]);
    expect(back.selectOnly).toEqual([0, 1, 2, 3, 7]);
    expect(() => formatMagnet({ infoHash: 'xyz' })).toThrow(MagnetError);
  });

  test('magnetFromMetainfo flattens tiers', () => {
    const uri = magnetFromMetainfo({
      infoHash: HEX,
      name: 'n',
      announce: [['http://a/'], ['http://b/', 'http://c/']],
      urlList: ['http://w/'],
    });
    const m = parseMagnet(uri);
    expect(m.trackers).toEqual(['http://a/', 'http://b/', 'http://c/']);
    expect(m.webSeeds).toEqual(['http://w/']);
  });
});

describe('properties', () => {
  const url = fc.webUrl({ withQueryParameters: true, withFragments: true });
  test('parse(format(x)) == x', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            infoHash: fc
              .uint8Array({ minLength: 20, maxLength: 20 })
              .map((u) => Buffer.from(u).toString('hex')),
            name: fc.string({ unit: 'grapheme', maxLength: 30 }),
            trackers: fc.uniqueArray(url, { maxLength: 4 }),
            webSeeds: fc.uniqueArray(url, { maxLength: 2 }),
            peers: fc.array(
              fc.record({
                host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
                port: fc.integer({ min: 1, max: 65535 }),
              }),
              { maxLength: 3 },
            ),
            selectOnly: fc.uniqueArray(fc.nat(500), { minLength: 1, maxLength: 10 }),
          },
          { requiredKeys: ['infoHash', 'trackers', 'webSeeds', 'peers'] },
        ),
        (input) => {
          const m = parseMagnet(formatMagnet(input));
          expect(m.infoHash).toBe(input.infoHash);
          expect(m.name).toBe(input.name);
          expect(m.trackers).toEqual(input.trackers.map((t) => t.trim()).filter((t) => t !== ''));
          expect(m.webSeeds).toEqual(input.webSeeds.map((t) => t.trim()).filter((t) => t !== ''));
          expect(m.peers).toEqual(input.peers);
          expect(m.selectOnly).toEqual(input.selectOnly?.slice().sort((a, b) => a - b));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('fuzz: random and mutated links parse or throw MagnetError', () => {
    const valid = formatMagnet({
      infoHash: HEX,
      name: 'x y',
      trackers: ['http://t/'],
      peers: [{ host: '1.2.3.4', port: 5 }],
      selectOnly: [1, 2],
    });
    const check = (s: string) => {
      try {
        expect(parseMagnet(s).infoHash).toMatch(/^[0-9a-f]{40}$/);
      } catch (e) {
        if (!(e instanceof MagnetError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => check(`magnet:?${s}`)),
      {
        numRuns: 1000,
      },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })), { maxLength: 4 }),
        (edits) => {
          let s = valid;
          for (const [at, ins] of edits) {
            const i = at % s.length;
            s = s.slice(0, i) + ins + s.slice(i + 1);
          }
          check(s);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
