import { connect } from 'node:net';
import fc from 'fast-check';
import { decode, decodeHttpAnnounceResponse, decodeHttpScrapeResponse } from '@enjambre/bittorrent';
import type { RunningTracker } from '../tracker';
import { httpGet, parseResponses, percentAll, rawRequest, startTestTracker } from '../testing';

const hash = (n: number): Buffer => Buffer.alloc(20, n);
const id = (n: number): Buffer => Buffer.alloc(20, 0x40 + n);

function announcePath(n: number, extra = '', infoHash = hash(1)): string {
  return (
    `/announce?info_hash=${percentAll(infoHash)}&peer_id=${percentAll(id(n))}` +
    `&port=${6000 + n}&uploaded=0&downloaded=0&left=${n % 2 ? 100 : 0}${extra}`
  );
}

function failure(body: Buffer): string {
  const d = decode(body) as Record<string, Buffer>;
  return d['failure reason'].toString();
}

describe('HTTP tracker', () => {
  let tracker: RunningTracker;
  let port: number;
  beforeAll(async () => {
    tracker = await startTestTracker({ limits: { maxPeersPerTorrent: 100 } });
    port = tracker.httpPort as number;
  });
  afterAll(() => tracker.close());

  it('answers announces in compact form by default (BEP 23) with counts', async () => {
    await httpGet(port, announcePath(1, '&event=started'));
    const res = await httpGet(port, announcePath(2, '&event=started'));
    expect(res.status).toBe(200);
    const r = decodeHttpAnnounceResponse(res.body);
    if (r.failureReason !== undefined) throw new Error(r.failureReason);
    expect(r).toMatchObject({ interval: 1800, minInterval: 60, complete: 1, incomplete: 1 });
    expect(r.peers).toEqual([{ ip: '127.0.0.1', port: 6001 }]);
    const raw = decode(res.body) as Record<string, unknown>;
    expect(Buffer.isBuffer(raw.peers)).toBe(true);
  });

  it('answers the dictionary model with compact=0, with or without peer ids', async () => {
    const r = decodeHttpAnnounceResponse((await httpGet(port, announcePath(3, '&compact=0'))).body);
    if (r.failureReason !== undefined) throw new Error(r.failureReason);
    expect(r.peers.map((p) => p.port).sort()).toEqual([6001, 6002]);
    expect(r.peers.find((p) => p.port === 6002)?.peerId).toEqual(id(2));
    const n = decodeHttpAnnounceResponse(
      (await httpGet(port, announcePath(3, '&compact=0&no_peer_id=1'))).body,
    );
    if (n.failureReason !== undefined) throw new Error(n.failureReason);
    expect(n.peers.every((p) => p.peerId === undefined)).toBe(true);
  });

  it('scrapes (BEP 48) and counts completions', async () => {
    await httpGet(port, announcePath(3, '&event=completed').replace('left=100', 'left=0'));
    const res = await httpGet(
      port,
      `/scrape?info_hash=${percentAll(hash(1))}&info_hash=${percentAll(hash(7))}`,
    );
    const s = decodeHttpScrapeResponse(res.body);
    if (s.failureReason !== undefined) throw new Error(s.failureReason);
    const byHash = new Map(s.files.map((f) => [f.infoHash[0], f]));
    expect(byHash.get(1)).toMatchObject({ complete: 2, downloaded: 1, incomplete: 1 });
    expect(byHash.get(7)).toMatchObject({ complete: 0, downloaded: 0, incomplete: 0 });
  });

  it('removes a stopped peer', async () => {
    await httpGet(port, announcePath(9, '&event=started'));
    const before = tracker.store.scrape([hash(1)])[0].leechers;
    await httpGet(port, announcePath(9, '&event=stopped'));
    expect(tracker.store.scrape([hash(1)])[0].leechers).toBe(before - 1);
  });

  it.each([
    [
      'a short info_hash',
      `/announce?info_hash=abc&peer_id=${percentAll(id(1))}&port=1`,
      /info_hash is 3 bytes/,
    ],
    ['no info_hash', `/announce?peer_id=${percentAll(id(1))}&port=1`, /missing info_hash/],
    [
      'bad percent-encoding',
      `/announce?info_hash=%zz${'a'.repeat(19)}&peer_id=${percentAll(id(1))}&port=1`,
      /percent/,
    ],
    [
      'a truncated escape',
      `/announce?info_hash=${'a'.repeat(19)}%4&peer_id=${percentAll(id(1))}&port=1`,
      /percent/,
    ],
    ['port 0', announcePath(1).replace('port=6001', 'port=0'), /port/],
    ['a negative amount', announcePath(1).replace('left=100', 'left=-5'), /negative/],
    ['an unknown event', announcePath(1, '&event=exploded'), /unknown event/],
    ['an absurd numwant', announcePath(1, '&numwant=99999999'), /numwant/],
    ['a short peer_id', announcePath(1).replace(percentAll(id(1)), 'x'), /peer_id/],
    ['a scrape without hashes', '/scrape', /at least one info_hash/],
    ['a scrape of a short hash', '/scrape?info_hash=abc', /info_hash is 3 bytes/],
  ])('gives a failure reason for %s', async (_label, path, reason) => {
    const res = await httpGet(port, path);
    expect(res.status).toBe(200);
    expect(failure(res.body)).toMatch(reason);
  });

  it('answers other paths with 404 and a failure reason', async () => {
    const res = await httpGet(port, '/stats');
    expect(res.status).toBe(404);
    expect(failure(res.body)).toMatch(/not found/);
  });

  it('keeps connections alive and answers pipelined requests in order', async () => {
    const reqs =
      [1, 2, 3]
        .map((n) => `GET ${announcePath(n, '&numwant=0')} HTTP/1.1\r\nHost: x\r\n\r\n`)
        .join('') +
      `GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /scrape?info_hash=${percentAll(hash(1))} HTTP/1.1\r\nConnection: close\r\n\r\n`;
    // Split the bytes awkwardly to exercise reassembly across reads.
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(port, '127.0.0.1', () => {
        const bytes = Buffer.from(reqs, 'latin1');
        let o = 0;
        const step = (): void => {
          if (o >= bytes.length) return;
          s.write(bytes.subarray(o, o + 37));
          o += 37;
          setTimeout(step, 1);
        };
        step();
      });
      s.on('data', (c) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const responses = parseResponses(raw);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 404, 200]);
    expect(decodeHttpScrapeResponse(responses[4].body)).toHaveProperty('files');
    expect(responses[4].headers).toMatch(/Connection: close/);
  });

  it('closes HTTP/1.0 connections unless asked to keep them alive', async () => {
    const raw = await rawRequest(port, `GET ${announcePath(1)} HTTP/1.0\r\n\r\n`);
    expect(parseResponses(raw)).toHaveLength(1);
    expect(raw.toString('latin1')).toMatch(/Connection: close/);
  });

  it.each([
    ['garbage', Buffer.from('\x00\x01\x02 hello\r\n\r\n', 'latin1'), 400],
    ['a request line with too many parts', 'GET / / HTTP/1.1\r\n\r\n', 400],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
    ['a header without a colon', 'GET /announce HTTP/1.1\r\nbroken header\r\n\r\n', 400],
    ['a POST with a body', 'POST /announce HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', 413],
    [
      'chunked encoding',
      'GET /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      413,
    ],
    ['a PUT', 'PUT /announce HTTP/1.1\r\nConnection: close\r\n\r\n', 405],
  ])('refuses %s with a clean 4xx/5xx', async (_label, data, statusCode) => {
    const [res] = parseResponses(await rawRequest(port, data));
    expect(res.status).toBe(statusCode);
  });

  it('refuses oversized request heads with 431 and closes', async () => {
    const huge = `GET /announce HTTP/1.1\r\nX-Junk: ${'a'.repeat(20_000)}\r\n\r\n`;
    const [res] = parseResponses(await rawRequest(port, huge));
    expect(res.status).toBe(431);
    // A head that never ends is cut off as well.
    const endless = await rawRequest(port, `GET /${'b'.repeat(10_000)}`);
    expect(parseResponses(endless)[0].status).toBe(431);
  });

  it('survives random bytes and keeps serving', async () => {
    const payloads = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        fc
          .array(
            fc.constantFrom(
              'GET ',
              '/announce?',
              'info_hash=%',
              '\r\n',
              'HTTP/1.1',
              ': ',
              '%zz',
              'a',
            ),
            {
              maxLength: 30,
            },
          )
          .map((parts) => Buffer.from(parts.join('') + '\r\n\r\n', 'latin1')),
      ),
      60,
    );
    await Promise.all(payloads.map((p) => rawRequest(port, p, { idleMs: 300 }).catch(() => null)));
    const res = await httpGet(port, announcePath(1));
    expect(res.status).toBe(200);
  });

  it('ignores X-Forwarded-For unless configured', async () => {
    await httpGet(port, announcePath(11, '&event=started'), {
      headers: 'X-Forwarded-For: 203.0.113.9\r\n',
    });
    const r = decodeHttpAnnounceResponse(
      (await httpGet(port, announcePath(13, '&numwant=200'))).body,
    );
    if (r.failureReason !== undefined) throw new Error(r.failureReason);
    expect(r.peers.every((p) => p.ip === '127.0.0.1')).toBe(true);
  });

  it('uses the last X-Forwarded-For address behind a trusted proxy', async () => {
    const proxied = await startTestTracker({ trustProxy: true });
    try {
      await httpGet(proxied.httpPort as number, announcePath(1), {
        headers: 'X-Forwarded-For: 10.9.9.9, 198.51.100.7\r\n',
      });
      const r = decodeHttpAnnounceResponse(
        (await httpGet(proxied.httpPort as number, announcePath(3))).body,
      );
      if (r.failureReason !== undefined) throw new Error(r.failureReason);
      expect(r.peers).toEqual([{ ip: '198.51.100.7', port: 6001 }]);
    } finally {
      await proxied.close();
    }
  });

  it('keeps memory bounded under a flood of announces from one address', async () => {
    const reqs: string[] = [];
    for (let n = 0; n < 1000; n++) {
      const peer = Buffer.alloc(20, 0);
      peer.writeUInt32BE(n, 0);
      reqs.push(
        `GET /announce?info_hash=${percentAll(hash(42))}&peer_id=${percentAll(peer)}&port=${1000 + n}&left=1&numwant=0 HTTP/1.1\r\n\r\n`,
      );
    }
    reqs.push('GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n');
    const responses = parseResponses(await rawRequest(port, reqs.join('')));
    expect(responses).toHaveLength(1001);
    expect(tracker.store.scrape([hash(42)])[0].leechers).toBe(100);
  });
});
