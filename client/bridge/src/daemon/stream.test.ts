import fc from 'fast-check';
import { contentTypeFor, parseRange } from './stream';

test('single byte ranges as RFC 9110 defines them', () => {
  expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
  expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'range', start: 0, end: 9 });
  expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
  expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
  expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'range', start: 0, end: 99 });
  expect(parseRange('bytes=50-1000', 100)).toEqual({ kind: 'range', start: 50, end: 99 });
  expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
  expect(parseRange('bytes=10-5', 100)).toEqual({ kind: 'unsatisfiable' });
  expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
  // Not understood: the whole file, as the RFC allows.
  expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'full' });
  expect(parseRange('items=0-1', 100)).toEqual({ kind: 'full' });
  expect(parseRange('bytes=-', 100)).toEqual({ kind: 'full' });
});

test('any header gives a range inside the file or no range', () => {
  fc.assert(
    fc.property(fc.string(), fc.nat(1e12), fc.nat(1e12), fc.nat(1e9), (junk, a, b, size) => {
      for (const h of [junk, `bytes=${a}-${b}`, `bytes=${a}-`, `bytes=-${b}`]) {
        const r = parseRange(h, size);
        if (r.kind === 'range') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeGreaterThanOrEqual(r.start);
          expect(r.end).toBeLessThan(size);
        }
      }
    }),
  );
});

test('media types a browser plays, never HTML', () => {
  expect(contentTypeFor('a/Movie.MP4')).toBe('video/mp4');
  expect(contentTypeFor('song.mp3')).toBe('audio/mpeg');
  expect(contentTypeFor('x.webm')).toBe('video/webm');
  expect(contentTypeFor('index.html')).toBe('application/octet-stream');
  expect(contentTypeFor('image.svg')).toBe('application/octet-stream');
  expect(contentTypeFor('noext')).toBe('application/octet-stream');
});
