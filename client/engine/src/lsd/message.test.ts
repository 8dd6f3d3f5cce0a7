import fc from 'fast-check';
import { formatLsdAnnounce, LSD_MAX_DATAGRAM, parseLsdAnnounce } from './message';

const HASH = '0123456789abcdef0123456789abcdef01234567';

describe('LSD announces (BEP 14)', () => {
  it('round-trips', () => {
    const a = { port: 6881, infoHashes: [HASH], cookie: 'c00k1e' };
    expect(parseLsdAnnounce(formatLsdAnnounce('239.192.152.143:6771', a))).toEqual(a);
  });

  it('accepts any case of hex, header case, LF-only lines, and no cookie', () => {
    const m = Buffer.from(
      `BT-SEARCH * HTTP/1.1\nHOST: 239.192.152.143:6771\nport: 51413\nINFOHASH: ${HASH.toUpperCase()}\n\n\n`,
    );
    expect(parseLsdAnnounce(m)).toEqual({ port: 51413, infoHashes: [HASH] });
  });

  it.each([
    ['another request line', `GET / HTTP/1.1\r\nPort: 1\r\nInfohash: ${HASH}\r\n\r\n`],
    ['no port', `BT-SEARCH * HTTP/1.1\r\nInfohash: ${HASH}\r\n\r\n`],
    ['port 0', `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${HASH}\r\n\r\n`],
    ['port too big', `BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ${HASH}\r\n\r\n`],
    ['short hash', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: abc\r\n\r\n`],
    ['no hash', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n`],
    [
      'oversized',
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${HASH}\r\nX: ${'a'.repeat(LSD_MAX_DATAGRAM)}\r\n`,
    ],
  ])('refuses %s', (_what, text) => {
    expect(parseLsdAnnounce(Buffer.from(text))).toBeNull();
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        parseLsdAnnounce(Buffer.concat([Buffer.from('BT-SEARCH * HTTP/1.1\r\n'), b]));
        parseLsdAnnounce(b);
      }),
    );
  });
});
