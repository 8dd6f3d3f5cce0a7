import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { formatIPv4, formatIp, parseIPv4, parseIp } from './compact';

test('IPv4 text round-trips through its uint32', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      expect(parseIPv4(formatIPv4(n))).toBe(n);
    }),
  );
});

test('parseIPv4 accepts exactly what Node accepts as IPv4', () => {
  const part = fc.oneof(fc.nat(300).map(String), fc.constantFrom('', '0', '00', '01', 'a', '-1'));
  const dotted = fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.'));
  fc.assert(
    fc.property(fc.oneof(dotted, fc.string({ maxLength: 16 })), (text) => {
      expect(parseIPv4(text) >= 0).toBe(isIPv4(text));
    }),
    { numRuns: 5000 },
  );
});

test('parseIp and formatIp round-trip 4- and 16-byte addresses', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
      (raw) => {
        expect(parseIp(formatIp(raw))).toEqual(Buffer.from(raw));
      },
    ),
  );
  expect(parseIp('fe80::1%eth0')).toBeNull();
  expect(parseIp('localhost')).toBeNull();
});
