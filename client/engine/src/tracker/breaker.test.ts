import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrackerBreaker, isUnreachable } from './breaker';
import type { AnnounceRequest } from './client';
import { HttpTrackerClient } from './http';
import { TrackerManager } from './manager';

const req: AnnounceRequest = {
  infoHash: Buffer.alloc(20, 1),
  peerId: Buffer.alloc(20, 2),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 0,
  event: 'started',
  numwant: 50,
  key: 1,
};

let server: Server;
let hits = 0;
let mode: 'reset' | 'refuse-torrent' = 'reset';
let url: string;

beforeAll(async () => {
  server = createServer((r, res) => {
    hits++;
    if (mode === 'reset') {
      r.socket.destroy();
      return;
    }
    res.end('d14:failure reason12:unregisterede');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (hits = 0));

const announce = (b: TrackerBreaker) =>
  b.announce(req, new AbortController().signal).then(
    () => 'ok',
    (err: Error) => err.message,
  );

test('a host that drops connections is tried once, then every torrent fails at once alike', async () => {
  mode = 'reset';
  const b = new TrackerBreaker(new HttpTrackerClient(url));
  const first = await announce(b);
  expect(hits).toBe(1);
  expect(b.open).toBe(true);
  const rest = await Promise.all(Array.from({ length: 20 }, () => announce(b)));
  expect(hits).toBe(1);
  expect(new Set(rest)).toEqual(new Set([first]));
});

test('a tracker that answers with an error concerns one torrent: nothing is held back', async () => {
  mode = 'refuse-torrent';
  const b = new TrackerBreaker(new HttpTrackerClient(url));
  for (let i = 0; i < 3; i++) expect(await announce(b)).toBe('tracker says: unregistered');
  expect(hits).toBe(3);
  expect(b.open).toBe(false);
});

test('what counts as unreachable', () => {
  expect(isUnreachable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
  expect(isUnreachable(Object.assign(new Error('x'), { code: 14 }))).toBe(true);
  expect(isUnreachable(new Error('timed out'))).toBe(true);
  expect(isUnreachable(new Error('tracker says: unregistered'))).toBe(false);
  expect(isUnreachable(new Error('HTTP 404 from tracker'))).toBe(false);
});

test('torrents behind a host known to be down skip the call and retry no sooner than it reopens', async () => {
  mode = 'reset';
  const b = new TrackerBreaker(new HttpTrackerClient(url));
  const first = await announce(b);
  expect(b.blocked()?.message).toBe(first);
  const until = b.blocked()!.until;
  const tried = hits;
  const managers = Array.from(
    { length: 50 },
    (_, i) =>
      new TrackerManager({
        infoHash: Buffer.alloc(20, i + 1),
        peerId: Buffer.alloc(20, 2),
        port: () => 6881,
        tiers: [[url]],
        stats: () => ({ uploaded: 0, downloaded: 0, left: 0 }),
        onPeers: () => undefined,
        clientFor: () => b,
      }),
  );
  for (const m of managers) m.start();
  const settled = () => managers.every((m) => m.status()[0].status === 'error');
  for (let i = 0; i < 100 && !settled(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(settled()).toBe(true);
  expect(hits).toBe(tried); // none went out
  for (const m of managers) {
    const [s] = m.status();
    expect(s.message).toBe(first);
    expect(s.nextAnnounce).toBeGreaterThanOrEqual(until);
  }
  await Promise.all(managers.map((m) => m.stop()));
});
