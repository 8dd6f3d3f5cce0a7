import fc from 'fast-check';
import {
  commonPrefixLength,
  compareDistance,
  crc32c,
  isLocalAddress,
  nodeIdForAddress,
  nodeIdMatchesAddress,
} from './node-id';

// The examples of BEP 42 (address, r, a valid id).
const BEP42 = [
  ['124.31.75.21', 1, '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
  ['21.75.31.124', 86, '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
  ['65.23.51.170', 22, 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
  ['84.124.73.14', 65, '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
  ['43.213.53.83', 90, 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
] as const;

describe('BEP 42 node ids', () => {
  it('crc32c matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });

  it.each(BEP42)('accepts the BEP 42 example for %s', (ip, r, hex) => {
    const id = Buffer.from(hex, 'hex');
    expect(id[19]).toBe(r);
    expect(nodeIdMatchesAddress(id, ip)).toBe(true);
    // a generated id shares the example's 21-bit prefix
    const rand = Buffer.from(hex, 'hex');
    const gen = nodeIdForAddress(ip, rand);
    expect(gen.subarray(0, 2)).toEqual(id.subarray(0, 2));
    expect(gen[2] & 0xf8).toBe(id[2] & 0xf8);
  });

  it('rejects an id from another address, accepts any id on local addresses', () => {
    const id = Buffer.from(BEP42[0][2], 'hex');
    expect(nodeIdMatchesAddress(id, '124.31.75.22')).toBe(false);
    expect(nodeIdMatchesAddress(id, '8.8.8.8')).toBe(false);
    for (const ip of [
      '127.0.0.2',
      '10.1.2.3',
      '192.168.1.1',
      '172.20.0.1',
      '169.254.1.1',
      '::1',
      'fd00::1',
    ]) {
      expect(isLocalAddress(ip)).toBe(true);
      expect(nodeIdMatchesAddress(id, ip)).toBe(true);
    }
    expect(isLocalAddress('172.32.0.1')).toBe(false);
    expect(isLocalAddress('2001:db8::1')).toBe(false);
    expect(isLocalAddress('::ffff:10.0.0.1')).toBe(true);
  });

  it('every generated id matches its address (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.ipV4(), fc.ipV6()),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        (ip, rand) => {
          const id = nodeIdForAddress(ip, rand);
          expect(nodeIdMatchesAddress(id, ip)).toBe(true);
        },
      ),
    );
  });
});

describe('XOR metric', () => {
  const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
  it('orders like the XOR distance as a big number', () => {
    fc.assert(
      fc.property(id, id, id, (t, a, b) => {
        const x = BigInt('0x' + Buffer.from(a.map((v, i) => v ^ t[i])).toString('hex'));
        const y = BigInt('0x' + Buffer.from(b.map((v, i) => v ^ t[i])).toString('hex'));
        expect(Math.sign(compareDistance(t, a, b))).toBe(x < y ? -1 : x > y ? 1 : 0);
      }),
    );
  });
  it('commonPrefixLength counts shared leading bits', () => {
    const a = Buffer.alloc(20);
    const b = Buffer.alloc(20);
    expect(commonPrefixLength(a, b)).toBe(160);
    b[0] = 0x80;
    expect(commonPrefixLength(a, b)).toBe(0);
    b[0] = 0;
    b[2] = 0x01;
    expect(commonPrefixLength(a, b)).toBe(23);
  });
});
