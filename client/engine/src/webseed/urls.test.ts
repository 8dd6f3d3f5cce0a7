import fc from 'fast-check';
import { metaFromFiles } from '../test-meta';
import { retryAfter } from './http-range';
import { fileUrl, MAX_WEB_SEEDS, usableWebSeeds } from './urls';

const single = metaFromFiles(
  'my file.iso',
  [{ path: ['my file.iso'], data: Buffer.alloc(1) }],
  16384,
  true,
).meta;
const multi = metaFromFiles(
  'Album #1',
  [
    { path: ['cd 1', 'ñ 100%.flac'], data: Buffer.alloc(1) },
    { path: ["a?b&c'(x).txt"], data: Buffer.alloc(1) },
  ],
  16384,
).meta;

test('BEP 19 layout: single file is the URL itself, or name appended to a folder URL', () => {
  expect(fileUrl('http://h/pub/x.iso', single, 0)).toBe('http://h/pub/x.iso');
  expect(fileUrl('http://h/pub/', single, 0)).toBe('http://h/pub/my%20file.iso');
});

test('BEP 19 layout: multi-file is URL + name + path, each component percent-encoded', () => {
  expect(fileUrl('http://h/pub', multi, 0)).toBe(
    'http://h/pub/Album%20%231/cd%201/%C3%B1%20100%25.flac',
  );
  expect(fileUrl('https://h/', multi, 1)).toBe('https://h/Album%20%231/a%3Fb%26c%27%28x%29.txt');
});

test('only http(s) URLs without credentials are used, deduplicated, at most 8', () => {
  expect(
    usableWebSeeds([
      'file:///etc/passwd',
      'ftp://h/x',
      'javascript:alert(1)',
      'http://user:pw@h/x',
      'http://h/a b',
      'not a url',
      '',
      ' http://h/x ',
      'http://h/x',
      'http://h/y#frag',
      'HTTPS://H/z',
    ]),
  ).toEqual(['http://h/x', 'http://h/y', 'HTTPS://H/z']);
  const many = Array.from({ length: 50 }, (_, i) => `http://h${i}/`);
  expect(usableWebSeeds(many)).toHaveLength(MAX_WEB_SEEDS);
});

test('property: whatever a torrent lists, what is used is a few distinct http(s) URLs', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.webUrl(), fc.constant('http://a/'))), (urls) => {
      const out = usableWebSeeds(urls);
      expect(out.length).toBeLessThanOrEqual(MAX_WEB_SEEDS);
      expect(new Set(out).size).toBe(out.length);
      for (const u of out) expect(['http:', 'https:']).toContain(new URL(u).protocol);
    }),
  );
});

test('Retry-After: seconds or a date, bounded to an hour; anything else ignored', () => {
  expect(retryAfter('3')).toBe(3000);
  expect(retryAfter('999999')).toBe(3_600_000);
  expect(retryAfter(new Date(Date.now() - 60_000).toUTCString())).toBe(0);
  expect(retryAfter('soon')).toBeUndefined();
  expect(retryAfter(undefined)).toBeUndefined();
  fc.assert(
    fc.property(fc.string(), (s) => {
      const v = retryAfter(s);
      if (v !== undefined) expect(v >= 0 && v <= 3_600_000).toBe(true);
    }),
  );
});
