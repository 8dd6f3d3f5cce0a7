// Web seed servers that misbehave: the engine reads only what it asked for, follows bounded
// http(s) redirects, and sets a seed aside with a clear error instead of failing the torrent.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTorrent } from '@enjambre/bittorrent';
import type { Torrent, WebSeedStatus } from '@enjambre/engine';
import { expectSameFiles, makeTorrent, sessionWorkspace, startSession, waitDone } from './helpers';
import { startSeedServer } from './webseed-servers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('webseed-hostile');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const SIZE = 600_000;

/** An HTTP server on 127.0.0.1 answering every request with `handle(req, res, file)`. */
async function serve(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, file: Buffer) => void,
): Promise<string> {
  let file: Buffer | undefined;
  const server = http.createServer((req, res) => {
    void (async () => {
      file ??= await readFile(path.join(ws.root, 'www', 'data.bin'));
      handle(req, res, file);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Makes the data, starts the servers `start` returns URLs of, adds a torrent naming them. */
async function run(start: () => Promise<string[]>): Promise<{
  t: Torrent;
  urls: string[];
  check: () => Promise<void>;
}> {
  const served = path.join(ws.root, 'www');
  // the data first (the servers read it), then the torrent naming the servers
  const first = await makeTorrent(served, 'data.bin', SIZE, { pieceLength: 32 * 1024 });
  const urls = await start();
  const data = first.files[0].data;
  const made = await createTorrent(
    { name: 'data.bin', length: SIZE, pieceLength: 32 * 1024, urlList: urls },
    [data],
  );
  const session = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(session);
  const dir = path.join(ws.root, 'got');
  const t = await session.add({ torrent: made.torrent }, { downloadDir: dir });
  return { t, urls, check: () => expectSameFiles(first, dir, 'data.bin', true) };
}

function seed(t: Torrent, i = 0): WebSeedStatus {
  return t.status().webSeeds[i];
}

async function until(cond: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The torrent's only seed ends in back-off with an error matching `error`; nothing verified. */
async function setAside(t: Torrent, error: RegExp): Promise<void> {
  await until(
    () => seed(t).state === 'backoff',
    () => JSON.stringify(seed(t)),
  );
  expect(seed(t).error).toMatch(error);
  expect(seed(t).retryAt).toBeGreaterThan(Date.now());
  expect(t.status().state).toBe('downloading');
}

test('200 with the file and then endless bytes: only what was asked is read', async () => {
  const { t, check } = await run(async () => [
    await serve((_req, res, file) => {
      res.writeHead(200); // no length, chunked: the body never ends by itself
      res.write(file);
      const more = () => {
        if (!res.destroyed) res.write(Buffer.alloc(65536, 0xaa), () => setImmediate(more));
      };
      more();
    }),
  ]);
  await waitDone(t);
  await check();
  // every job reads up to the end of its last range, and a little more at most
  const jobs = Math.ceil(SIZE / (8 * 1024 * 1024)) + 2;
  expect(seed(t).downloaded).toBeLessThan(jobs * (SIZE + 2 * 65536));
});

test('206 with more bytes than asked for: the rest is not taken', async () => {
  const { t, check } = await run(async () => [
    await serve((req, res, file) => {
      const first = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')![1]);
      // claims and sends everything from `first` to the end of the file
      res.writeHead(206, { 'content-range': `bytes ${first}-${file.length - 1}/${file.length}` });
      res.end(file.subarray(first));
    }),
  ]);
  await waitDone(t);
  await check();
});

test('206 for another range than asked: the seed is set aside', async () => {
  const { t } = await run(async () => [
    await serve((_req, res, file) => {
      res.writeHead(206, { 'content-range': `bytes 0-99/${file.length}` });
      res.end(file.subarray(0, 100));
    }),
  ]);
  await setAside(t, /Content-Range/);
  expect(t.status().downloaded).toBe(0);
});

test('redirects are followed, relative and absolute, to a server that has the data', async () => {
  const good = await startSeedServer(path.join(ws.root, 'www'), 'range');
  closers.push(good.close);
  const { t, check } = await run(async () => {
    const hop = await serve((_req, res) => {
      res.writeHead(302, { location: `${good.url}data.bin` });
      res.end();
    });
    return [
      await serve((_req, res) => {
        res.writeHead(307, { location: `/elsewhere/x?y=1` }); // relative: same server
        res.end();
      }), // answers every path with the same redirect: a loop
      await serve((_req, res) => {
        res.writeHead(301, { location: `${hop}data.bin` });
        res.end();
      }),
    ];
  });
  await waitDone(t);
  await check();
  // the first one redirects to itself for ever
  expect(seed(t, 0).state).toBe('backoff');
  expect(seed(t, 0).error).toMatch(/redirects/);
});

test('a redirect to a file: URL is refused', async () => {
  const { t } = await run(async () => [
    await serve((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    }),
  ]);
  await setAside(t, /file:/);
});

test('404, gzip-encoded data and a refused connection set the seed aside', async () => {
  const refused = await serve(() => undefined);
  await closers.pop()!(); // nothing listens there any more
  const { t } = await run(async () => [
    await serve((_req, res) => {
      res.writeHead(404);
      res.end('not here');
    }),
    await serve((_req, res, file) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(file);
    }),
    `${refused}data.bin`,
  ]);
  await until(
    () => t.status().webSeeds.every((s) => s.state === 'backoff'),
    () => JSON.stringify(t.status().webSeeds),
  );
  const [notFound, gzip, conn] = t.status().webSeeds;
  expect(notFound.error).toMatch(/404/);
  expect(gzip.error).toMatch(/gzip/);
  expect(conn.error).toMatch(/ECONNREFUSED/);
  // a refused connection is retried soon; a 404 much later
  expect(conn.retryAt!).toBeLessThan(notFound.retryAt!);
});

test('pause aborts the requests in flight; after resume the download completes', async () => {
  const slow = await startSeedServer(path.join(ws.root, 'www'), 'range', {
    bytesPerSecond: 200_000,
  });
  closers.push(slow.close);
  const { t, check } = await run(async () => [`${slow.url}data.bin`]);
  await until(
    () => t.status().downloaded > 0,
    () => JSON.stringify(t.status()),
  );
  await t.pause();
  expect(seed(t).state).toBe('idle');
  const at = seed(t).downloaded;
  await new Promise((r) => setTimeout(r, 300));
  expect(seed(t).downloaded).toBeLessThanOrEqual(at + 64 * 1024); // a chunk in flight at most
  await t.resume();
  await waitDone(t);
  await check();
});

test('torrent names no usable web seed: none are listed (ftp, file, credentials)', async () => {
  const { t } = await run(async () => ['ftp://h/x', 'file:///etc/passwd', 'http://u:p@h/x']);
  expect(t.status().webSeeds).toEqual([]);
});
