// Web seeds (BEP 19): a torrent whose only source is an HTTP server downloads completely.
import path from 'node:path';
import type { Torrent, WebSeedStatus } from '@enjambre/engine';
import {
  expectSameFiles,
  makeTorrent,
  sessionWorkspace,
  startSession,
  waitDone,
  type FileSpec,
} from './helpers';
import { startPythonServer, startSeedServer } from './webseed-servers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('webseed');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const ALBUM: FileSpec[] = [
  { path: ['cd 1', 'track #1.flac'], size: 300_001 },
  { path: ['cd 1', 'ñandú 100%.flac'], size: 70_000 },
  { path: ['cover.jpg'], size: 5 },
  { path: ['deep', 'er', 'x.bin'], size: 250_000 },
];

function seedOf(t: Torrent, url: string): WebSeedStatus {
  const s = t.status().webSeeds.find((w) => w.url === url);
  if (!s) throw new Error(`no web seed ${url} in ${JSON.stringify(t.status().webSeeds)}`);
  return s;
}

async function leech(torrent: Buffer): Promise<{ t: Torrent; dir: string }> {
  const session = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(session);
  const dir = path.join(ws.root, 'got');
  return { t: await session.add({ torrent }, { downloadDir: dir }), dir };
}

test("single file from Python's http.server (no Range support: 200 with the whole file)", async () => {
  const served = path.join(ws.root, 'www');
  const server = await startPythonServer(served);
  closers.push(server.close);
  // the URL names the file itself
  const t = await makeTorrent(served, 'movie.bin', 6_000_000 + 123, {
    pieceLength: 32 * 1024,
    urlList: [`${server.url}movie.bin`],
  });
  const { t: lt, dir } = await leech(t.torrent);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'movie.bin', true);
  const s = seedOf(lt, `${server.url}movie.bin`);
  const size = t.files[0].data.length;
  expect(s.downloaded).toBeGreaterThanOrEqual(size);
  // the first two jobs (in flight together) find out that Range is ignored, each reading from the
  // file's start; then one stream reads the file once, not once per run of pieces (1 MiB runs
  // of a 6 MB file read from the start each time would come to about 3.5 times its size)
  expect(s.downloaded).toBeLessThanOrEqual(3 * size + 1024 * 1024);
  expect(lt.status().downloadedTotal).toBeGreaterThanOrEqual(t.files[0].data.length);
  expect(lt.status().seeders).toBe(0); // no peer was involved
});

test("multi-file from Python's http.server, URL ending in '/', names percent-encoded", async () => {
  const served = path.join(ws.root, 'www');
  const server = await startPythonServer(served);
  closers.push(server.close);
  const t = await makeTorrent(served, 'my album', ALBUM, {
    pieceLength: 16 * 1024,
    urlList: [server.url],
  });
  const { t: lt, dir } = await leech(t.torrent);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'my album');
});

test('multi-file from a server answering Range with 206, pieces spanning files', async () => {
  const served = path.join(ws.root, 'www');
  const server = await startSeedServer(served, 'range');
  closers.push(server.close);
  // the URL without the trailing '/': BEP 19 adds it
  const base = server.url.slice(0, -1);
  const t = await makeTorrent(served, 'my album', ALBUM, {
    pieceLength: 64 * 1024,
    urlList: [base],
  });
  const { t: lt, dir } = await leech(t.torrent);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'my album');
  expect(server.requests.every((r) => r.status === 206)).toBe(true);
  const paths = new Set(server.requests.map((r) => r.path));
  expect([...paths].sort()).toEqual(
    ALBUM.filter((f) => f.size > 0)
      .map((f) => `/my album/${f.path.join('/')}`)
      .sort(),
  );
  expect(seedOf(lt, base).state).toBe('idle');
});

test('a seed answering 416 is set aside with its error; another seed completes the download', async () => {
  const served = path.join(ws.root, 'www');
  const bad = await startSeedServer(served, '416');
  const good = await startSeedServer(served, 'range');
  closers.push(bad.close, good.close);
  const t = await makeTorrent(served, 'data.bin', 900_000, {
    pieceLength: 32 * 1024,
    urlList: [`${bad.url}data.bin`, `${good.url}data.bin`],
  });
  const { t: lt, dir } = await leech(t.torrent);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'data.bin', true);
  expect(bad.requests.length).toBeGreaterThan(0);
  const s = seedOf(lt, `${bad.url}data.bin`);
  expect(s.state).toBe('backoff');
  expect(s.error).toMatch(/416/);
});

test('a seed that fails, 503 with Retry-After, is retried after its back-off and completes', async () => {
  const served = path.join(ws.root, 'www');
  const server = await startSeedServer(served, '503', { failFirst: 2 });
  closers.push(server.close);
  const t = await makeTorrent(served, 'data.bin', 400_000, {
    pieceLength: 32 * 1024,
    urlList: [`${server.url}data.bin`],
  });
  const { t: lt, dir } = await leech(t.torrent);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'data.bin', true);
  expect(server.requests.filter((r) => r.status === 503)).toHaveLength(2);
  expect(seedOf(lt, `${server.url}data.bin`).error).toMatch(/503/);
});

test('a seed sending corrupt bytes is dropped; a peer completes the download', async () => {
  const served = path.join(ws.root, 'www');
  const bad = await startSeedServer(served, 'corrupt');
  closers.push(bad.close);
  const t = await makeTorrent(served, 'data.bin', 700_000, {
    pieceLength: 32 * 1024,
    urlList: [`${bad.url}data.bin`],
  });
  const { t: lt, dir } = await leech(t.torrent);
  // the bad seed is dropped after its pieces fail; then a peer comes
  await waitFor(() => seedOf(lt, `${bad.url}data.bin`).state === 'failed');
  expect(lt.status().progress).toBe(0);
  expect(seedOf(lt, `${bad.url}data.bin`).error).toMatch(/hash/);
  const requestsAtDrop = bad.requests.length;
  const seeder = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: served, seedMode: true });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'data.bin', true);
  // a dropped seed is not asked again (a request in flight at the drop may still finish)
  expect(bad.requests.length).toBeLessThanOrEqual(requestsAtDrop + 2);
});

async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a magnet's ws= web seed is used once the metadata came from a peer", async () => {
  const served = path.join(ws.root, 'www');
  const server = await startSeedServer(served, 'range');
  closers.push(server.close);
  const t = await makeTorrent(served, 'data.bin', 3_000_000, { pieceLength: 64 * 1024 });
  // a slow peer: it gives the metadata, the web seed most of the data
  const seeder = await startSession(path.join(ws.root, 's'), { uploadRateLimit: 200_000 });
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: served, seedMode: true });
  const url = `${server.url}data.bin`;
  const magnet =
    `magnet:?xt=urn:btih:${t.infoHash}&dn=data.bin&ws=${encodeURIComponent(url)}` +
    `&x.pe=127.0.0.1:${seeder.port}`;
  const session = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(session);
  const dir = path.join(ws.root, 'got');
  const lt = await session.add({ magnet }, { downloadDir: dir });
  expect(lt.status().webSeeds.map((w) => w.url)).toEqual([url]);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'data.bin', true);
  expect(seedOf(lt, url).downloaded).toBeGreaterThan(0);
});
