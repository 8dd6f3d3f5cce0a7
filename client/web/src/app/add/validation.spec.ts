import {
  MAX_TORRENT_FILE_BYTES,
  magnetProblem,
  parseTrackers,
  sharePathProblem,
  torrentFileProblem,
} from './validation';

const HEX = '0123456789abcdef0123456789abcdef01234567';

describe('magnetProblem', () => {
  it('accepts hex and base32 info-hashes and v2 multihashes', () => {
    expect(magnetProblem(`magnet:?xt=urn:btih:${HEX}&dn=x`)).toBeUndefined();
    expect(magnetProblem(`  magnet:?xt=urn:btih:${HEX.toUpperCase()}  `)).toBeUndefined();
    expect(magnetProblem('magnet:?xt=urn:btih:' + 'a'.repeat(32))).toBeUndefined();
    expect(magnetProblem('magnet:?xt=urn:btmh:1220' + 'b'.repeat(64))).toBeUndefined();
  });

  it('says what is wrong', () => {
    expect(magnetProblem('')).toBe('Paste a magnet link.');
    expect(magnetProblem('http://example.com/x.torrent')).toMatch(/starts with "magnet:\?"/);
    expect(magnetProblem('magnet:?dn=hello')).toMatch(/no "xt"/);
    expect(magnetProblem('magnet:?xt=urn:btih:1234')).toMatch(/not a BitTorrent info-hash/);
  });
});

describe('torrentFileProblem', () => {
  it('accepts a .torrent and refuses other files, empty ones and huge ones', () => {
    expect(torrentFileProblem({ name: 'a.TORRENT', size: 300 })).toBeUndefined();
    expect(torrentFileProblem({ name: 'a.txt', size: 300 })).toMatch(/not a .torrent/);
    expect(torrentFileProblem({ name: 'a.torrent', size: 0 })).toMatch(/empty/);
    expect(torrentFileProblem({ name: 'a.torrent', size: MAX_TORRENT_FILE_BYTES + 1 })).toMatch(
      /too large/,
    );
  });
});

describe('sharePathProblem', () => {
  it('wants a full path', () => {
    expect(sharePathProblem('/srv/files')).toBeUndefined();
    expect(sharePathProblem('  ')).toMatch(/Choose a file or folder/);
    expect(sharePathProblem('files/x')).toMatch(/full path/);
  });
});

describe('parseTrackers', () => {
  it('splits lines and commas, drops duplicates', () => {
    expect(parseTrackers('http://a:1/announce\n udp://b:2 ,http://a:1/announce\n\n')).toEqual({
      urls: ['http://a:1/announce', 'udp://b:2'],
    });
    expect(parseTrackers('')).toEqual({ urls: [] });
  });

  it('names the first bad URL', () => {
    expect(parseTrackers('http://a:1\nnot a url').problem).toBe('"not" is not a URL.');
    expect(parseTrackers('ftp://a:1').problem).toMatch(/not a tracker URL/);
  });
});
