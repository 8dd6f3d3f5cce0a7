import { decodeBitfield } from './piece-map';
import { linePoints, niceMax } from './speed-chart';
import { explainFlags } from './peer-table';
import { mediaKind, webSeedLabel } from './torrent-detail';

describe('piece map', () => {
  it('decodes the bitfield MSB first and ignores spare bits', () => {
    // 0b10100000 0b01000000: pieces 0, 2 and 9 of 10
    const b64 = btoa(String.fromCharCode(0b10100000, 0b01000000 | 0b00111111));
    expect(decodeBitfield(b64, 10)).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('treats a short bitfield as missing pieces', () => {
    expect(decodeBitfield(btoa('\xff'), 10).filter(Boolean)).toHaveLength(8);
  });
});

describe('speed chart', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1024);
    expect(niceMax(900)).toBe(1000);
    expect(niceMax(1500)).toBe(2000);
    expect(niceMax(4100)).toBe(5000);
    expect(niceMax(7000)).toBe(10000);
  });

  it('places the newest sample at the right edge and scales values into the box', () => {
    const pts = linePoints(
      [
        { t: 0, down: 0, up: 0 },
        { t: 60_000, down: 100, up: 0 },
      ],
      (s) => s.down,
      100,
      60_000,
    );
    expect(pts).toBe('0.0,160.0 600.0,4.0');
    expect(linePoints([], (s) => s.down, 1, 1)).toBe('');
  });
});

describe('files and peers', () => {
  it('knows which files the browser can play', () => {
    expect(mediaKind('Show/S01E01.MP4')).toBe('video');
    expect(mediaKind('song.flac')).toBe('audio');
    expect(mediaKind('readme.txt')).toBeUndefined();
  });

  it('explains peer flags in words', () => {
    expect(explainFlags('DUI')).toBe(
      'downloading from them, uploading to them, incoming connection',
    );
  });
});

describe('web seed label', () => {
  const seed = { url: 'http://h/x', downloaded: 0, downloadRate: 0 };
  it('names the state, and when a seed backing off is tried again', () => {
    expect(webSeedLabel({ ...seed, state: 'downloading' }, 0)).toBe('downloading');
    expect(webSeedLabel({ ...seed, state: 'failed' }, 0)).toBe('dropped');
    expect(webSeedLabel({ ...seed, state: 'backoff', retryAt: 4_500 }, 1_000)).toBe('retry in 4 s');
    expect(webSeedLabel({ ...seed, state: 'backoff', retryAt: 1_800_000 }, 0)).toBe(
      'retry in 30 min',
    );
    expect(webSeedLabel({ ...seed, state: 'backoff', retryAt: 0 }, 5_000)).toBe('retry in 0 s');
  });
});
