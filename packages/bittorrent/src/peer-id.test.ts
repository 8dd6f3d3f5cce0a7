import fc from 'fast-check';
import { createPeerId, describePeerId, enjambrePeerIdPrefix, parsePeerId } from './peer-id';

const id = (prefix: string) =>
  Buffer.concat([Buffer.from(prefix, 'latin1'), Buffer.alloc(20 - prefix.length, 0x41)]);

test.each([
  ['-TR3000-', 'Transmission 3.00'],
  ['-TR2940-', 'Transmission 2.94'],
  ['-TR4050-', 'Transmission 4.0.5'],
  ['-qB4520-', 'qBittorrent 4.5.2'],
  ['-lt0D80-', 'libtorrent (rakshasa) 0.13.8'],
  ['-LT2080-', 'libtorrent (Rasterbar) 2.0.8'],
  ['-LT1210-', 'libtorrent (Rasterbar) 1.2.1'],
  ['A2-1-36-0-', 'aria2 1.36.0'],
  ['M4-3-6--', 'Mainline 4.3.6'],
  ['-WW0105-', 'WebTorrent 1.5'],
  ['-EJ0100-', 'enjambre 0.1.0'],
  ['-UT3550-', 'µTorrent 3.5.5'],
  ['-DE13F0-', 'Deluge 1.3.15'],
  ['S58B-----', 'Shadow 5.8.11'],
  ['T03I-----', 'BitTornado 0.3.18'],
])('%s is %s', (prefix, name) => {
  expect(describePeerId(id(prefix))).toBe(name);
});

test('unknown schemes show the hex of the prefix', () => {
  expect(describePeerId(id('-ZZ1234-'))).toBe('unknown 2d5a5a313233342d');
  expect(describePeerId(Buffer.alloc(20))).toBe('unknown 0000000000000000');
  expect(parsePeerId(Buffer.alloc(19))).toBeNull();
  expect(parsePeerId(id('-TR30x0-'))).toBeNull();
});

test('enjambre peer ids', () => {
  expect(enjambrePeerIdPrefix('0.1.0')).toBe('-EJ0100-');
  expect(enjambrePeerIdPrefix('1.12.3')).toBe('-EJ1C30-');
  expect(() => enjambrePeerIdPrefix('1.40.0')).toThrow(RangeError);
  const a = createPeerId();
  const b = createPeerId();
  expect(a.length).toBe(20);
  expect(a.equals(b)).toBe(false);
  expect(describePeerId(a)).toBe('enjambre 0.1.0');
});

test('fuzz: any bytes give a name and never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 24 }), (b) => {
      expect(typeof describePeerId(b)).toBe('string');
    }),
    { numRuns: 2000 },
  );
});
