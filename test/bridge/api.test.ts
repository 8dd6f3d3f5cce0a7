/**
 * The bridge's REST API and WebSocket against real daemons (real engine, real embedded tracker,
 * real LevelDB): every endpoint, auth failures, bad input. Daemon A shares, daemon B downloads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { parseTorrent } from '@enjambre/bittorrent';
import type { FileStatus, TorrentStatus } from '@enjambre/engine';
import type { RunningDaemon } from '@enjambre/bridge';
import { api, rawGet, removeDir, tempDir, testDaemon, waitFor } from './helpers';

jest.setTimeout(180_000);

interface ShareJob {
  id: string;
  state: 'hashing' | 'done' | 'error';
  progress: number;
  error?: string;
  infoHash?: string;
  magnet?: string;
  name?: string;
}

let root: string;
let a: RunningDaemon;
let b: RunningDaemon;
let A: ReturnType<typeof api>;
let B: ReturnType<typeof api>;
let shared: string;
const files: Record<string, Buffer> = {
  'movie.mp4': randomBytes(1_500_000 + 123),
  'sub/notes.txt': Buffer.from('hello from enjambre\n'),
};

beforeAll(async () => {
  root = await tempDir('bridge-api');
  shared = join(root, 'shares', 'holiday');
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(shared, name, '..'), { recursive: true });
    await writeFile(join(shared, name), data);
  }
  // A may share from `shares` (and its download folder); B only has its download folder.
  a = await testDaemon(join(root, 'a'), {
    withTracker: true,
    allowFolders: [join(root, 'shares')],
  });
  b = await testDaemon(join(root, 'b'), {
    trackers: [a.tracker!.grpc, a.tracker!.http],
    allowFolders: [join(root, 'b', 'downloads')],
  });
  A = api(a);
  B = api(b);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await removeDir(root);
});

async function share(X: ReturnType<typeof api>, path: string): Promise<ShareJob> {
  const res = await X.post<{ id: string }>('/api/shares', { path });
  expect(res.status).toBe(202);
  return waitFor('the share job', async () => {
    const job = (await X.get<ShareJob>(`/api/shares/${res.body.id}`)).body;
    return job.state === 'hashing' ? undefined : job;
  });
}

async function waitComplete(X: ReturnType<typeof api>, id: string): Promise<TorrentStatus> {
  return waitFor(
    `torrent ${id} to complete`,
    async () => {
      const t = (await X.get<TorrentStatus>(`/api/torrents/${id}`)).body;
      return t.progress === 1 && t.state === 'seeding' ? t : undefined;
    },
    120_000,
  );
}

describe('access', () => {
  test('no token, a wrong token, a foreign origin or a foreign Host are refused', async () => {
    const bare = await fetch(`${A.base}/api/torrents`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ error: expect.stringMatching(/token/) });
    expect(
      (await A.call('GET', '/api/torrents', undefined, { authorization: 'Bearer x' })).status,
    ).toBe(401);
    expect(
      (await A.call('GET', '/api/torrents', undefined, { origin: 'http://evil.example' })).status,
    ).toBe(403);
    const rebind = await rawGet(a.apiPort, '/api/torrents', {
      host: `evil.example:${a.apiPort}`,
      authorization: `Bearer ${a.token}`,
    });
    expect(rebind.status).toBe(403);
    // The token in the query is only for links a browser opens by itself.
    expect((await fetch(`${A.base}/api/torrents?token=${a.token}`)).status).toBe(401);
    expect((await fetch(`${A.base}/metrics`)).status).toBe(401);
    // The GUI shell itself needs no token.
    expect((await fetch(`${A.base}/`)).status).toBe(200);
  });

  test('the WebSocket needs the token in its URL and the GUI origin', async () => {
    const url = `ws://127.0.0.1:${a.apiPort}/api/ws`;
    const refused = (u: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(u, { headers });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('the socket opened')));
        ws.on('error', () => undefined);
      });
    expect(await refused(url)).toBe(401);
    expect(await refused(`${url}?token=wrong`)).toBe(401);
    expect(await refused(`${url}?token=${a.token}`, { origin: 'http://evil.example' })).toBe(403);
    const first = await new Promise<{ type: string; torrents: unknown[] }>((resolve, reject) => {
      const ws = new WebSocket(`${url}?token=${a.token}`, {
        headers: { origin: `http://127.0.0.1:${a.apiPort}` },
      });
      ws.on('message', (m) => {
        resolve(JSON.parse(m.toString()));
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(first.type).toBe('torrents');
    expect(Array.isArray(first.torrents)).toBe(true);
  });
});

describe('daemon', () => {
  test('status, OpenAPI description, metrics', async () => {
    const s = await A.get<Record<string, unknown>>('/api/status');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      version: expect.any(String),
      apiPort: a.apiPort,
      listenPort: a.listenPort,
      tracker: a.tracker,
    });
    expect((await B.get<Record<string, unknown>>('/api/status')).body.tracker).toBeUndefined();

    const doc = await A.get<{ paths: Record<string, unknown> }>('/api/openapi.json');
    expect(doc.status).toBe(200);
    for (const p of [
      '/api/status',
      '/api/torrents',
      '/api/torrents/{id}',
      '/api/torrents/{id}/pause',
      '/api/torrents/{id}/files/{index}/priority',
      '/api/torrents/{id}/files/{index}/stream',
      '/api/shares',
      '/api/shares/{id}',
      '/api/catalog',
      '/api/trackers',
      '/api/settings',
      '/api/fs',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }

    const m = await A.get<string>('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^enjambre_torrents\{state="seeding"\} \d+$/m);
    expect(m.body).toMatch(/^enjambre_download_rate_bytes \d+/m);
    expect(m.body).toMatch(/process_cpu_seconds_total/);
  });

  test('settings: read, change, refuse bad values', async () => {
    const before = (await B.get<Record<string, unknown>>('/api/settings')).body;
    expect(before).toMatchObject({
      downloadDir: join(b.dataDir, 'downloads'),
      trackers: [a.tracker!.grpc, a.tracker!.http],
      allowedFolders: [join(b.dataDir, 'downloads')],
    });
    // The allowed folders come from the command line only.
    const widen = await B.put<{ error: string }>('/api/settings', { allowedRoots: ['/'] });
    expect(widen.status).toBe(403);
    expect(widen.body.error).toMatch(/--allow-folder/);
    const changed = await B.put<Record<string, unknown>>('/api/settings', { maxPeers: 77 });
    expect(changed.status).toBe(200);
    expect(changed.body.maxPeers).toBe(77);
    expect((await B.get<Record<string, unknown>>('/api/settings')).body.maxPeers).toBe(77);
    expect((await B.put('/api/settings', { maxPeers: -1 })).status).toBe(400);
    expect((await B.put('/api/settings', { downloadDir: 'relative' })).status).toBe(400);
    expect((await B.put('/api/settings', { trackers: ['ftp://x'] })).status).toBe(400);
    expect((await B.put('/api/settings', { uploadRateLimit: 'fast' })).status).toBe(400);
  });

  test('folder browsing stays inside the allowed folders', async () => {
    const dl = join(a.dataDir, 'downloads');
    await mkdir(join(dl, 'inner'), { recursive: true });
    const ok = await A.get<{ path: string; entries: { name: string; dir: boolean }[] }>(
      `/api/fs?path=${encodeURIComponent(dl)}`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.entries).toContainEqual({ name: 'inner', dir: true, size: 0 });
    const out = await A.get<{ error: string }>(`/api/fs?path=${encodeURIComponent(b.dataDir)}`);
    expect(out.status).toBe(403);
    expect(out.body.error).toMatch(/outside the allowed folders/);
    expect((await A.get(`/api/fs?path=${encodeURIComponent(join(dl, '..', '..'))}`)).status).toBe(
      403,
    );
  });
});

describe('share in one daemon, download in the other', () => {
  let job: ShareJob;

  test('sharing a folder from an allowed folder gives a magnet and a .torrent', async () => {
    const pushed: { type: string; share?: ShareJob }[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${a.apiPort}/api/ws?token=${a.token}`);
    ws.on('message', (m) => pushed.push(JSON.parse(m.toString())));
    await new Promise((resolve) => ws.once('message', resolve));
    job = await share(A, shared);
    expect(job).toMatchObject({ state: 'done', progress: 1, name: 'holiday' });
    // The GUI learns of the share's end without asking.
    await waitFor('the share message', () =>
      pushed.find((m) => m.type === 'share' && m.share?.state === 'done'),
    );
    ws.close();
    expect(pushed.find((m) => m.type === 'share' && m.share?.state === 'done')!.share).toEqual(job);
    expect(job.magnet).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}/);
    const t = await waitComplete(A, job.infoHash!);
    expect(t.size).toBe(files['movie.mp4'].length + files['sub/notes.txt'].length);

    const file = await fetch(`${A.base}/api/torrents/${job.infoHash}/torrent`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/x-bittorrent');
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);

    // Sharing it again is the same torrent.
    const again = await share(A, shared);
    expect(again).toMatchObject({ state: 'done', infoHash: job.infoHash });
  });

  test('bad share requests', async () => {
    expect((await A.post('/api/shares', { path: join(root, 'shares', 'missing') })).status).toBe(
      404,
    );
    expect((await A.post('/api/shares', { path: 'relative/path' })).status).toBe(400);
    expect((await B.post('/api/shares', { path: shared })).status).toBe(403);
    expect((await A.post('/api/shares', {})).status).toBe(400);
    expect((await A.get('/api/shares/nope')).status).toBe(404);
    expect((await A.post('/api/shares', { path: shared, format: 'v3' })).status).toBe(400);
  });

  test('a share in another format (BEP 52 v2): the torrent is v2 and seeds', async () => {
    const dir = join(root, 'shares', 'v2-share');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.bin'), randomBytes(100_000));
    await writeFile(join(dir, 'b.bin'), randomBytes(3_000));
    const res = await A.post<{ id: string }>('/api/shares', { path: dir, format: 'v2' });
    expect(res.status).toBe(202);
    const done = await waitFor('the v2 share job', async () => {
      const j = (await A.get<ShareJob>(`/api/shares/${res.body.id}`)).body;
      return j.state === 'hashing' ? undefined : j;
    });
    expect(done.magnet).toMatch(/^magnet:\?xt=urn:btmh:1220[0-9a-f]{64}/);
    const t = await waitComplete(A, done.infoHash!);
    expect(t.size).toBe(103_000);
    const file = await fetch(`${A.base}/api/torrents/${done.infoHash}/torrent`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const m = parseTorrent(Buffer.from(await file.arrayBuffer()));
    expect([m.metaVersion, m.hybrid, m.infoHash]).toEqual([2, false, done.infoHash]);
  });

  test('the other daemon downloads it by magnet through the embedded tracker, bytes verified', async () => {
    const events: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${b.apiPort}/api/ws?token=${b.token}`);
    ws.on('message', (m) => events.push(JSON.parse(m.toString()).type));
    const added = await B.post<TorrentStatus>('/api/torrents', { magnet: job.magnet });
    expect(added.status).toBe(201);
    expect(added.body.infoHash).toBe(job.infoHash);
    await waitComplete(B, job.infoHash!);
    for (const [name, data] of Object.entries(files)) {
      const got = await readFile(join(b.dataDir, 'downloads', 'holiday', name));
      expect(createHash('sha1').update(got).digest('hex')).toBe(
        createHash('sha1').update(data).digest('hex'),
      );
    }
    await waitFor('a pushed torrent list', () => (events.length >= 2 ? true : undefined));
    ws.close();
    expect(events.every((e) => e === 'torrents')).toBe(true);

    const dup = await B.post<{ error: string }>('/api/torrents', { magnet: job.magnet });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatch(/already added/);

    // B hashed every piece it downloaded and wrote it to disk; /metrics says how much and how long.
    const m = (await B.get<string>('/metrics')).body;
    const io = (what: string, op: string) =>
      Number(
        new RegExp(`^enjambre_io_${what}_total\\{op="${op}"\\} ([\\d.e+-]+)$`, 'm').exec(m)?.[1],
      );
    const size = Object.values(files).reduce((n, d) => n + d.length, 0);
    expect(io('bytes', 'hash')).toBeGreaterThanOrEqual(size);
    expect(io('bytes', 'disk_write')).toBeGreaterThanOrEqual(size);
    expect(io('seconds', 'hash')).toBeGreaterThan(0);
    expect(io('seconds', 'disk_write')).toBeGreaterThan(0);
  });

  test('per-torrent endpoints', async () => {
    const id = job.infoHash!;
    const list = await B.get<TorrentStatus[]>('/api/torrents');
    expect(list.body.map((t) => t.infoHash)).toContain(id);

    const fl = await B.get<FileStatus[]>(`/api/torrents/${id}/files`);
    expect(fl.body.map((f) => f.path).sort()).toEqual(['movie.mp4', 'sub/notes.txt']);
    const notes = fl.body.find((f) => f.path === 'sub/notes.txt')!;
    expect(notes.downloaded).toBe(notes.length);

    const prio = await B.put<FileStatus>(`/api/torrents/${id}/files/${notes.index}/priority`, {
      priority: 2,
    });
    expect(prio.status).toBe(200);
    expect(prio.body.priority).toBe(2);
    expect((await B.put(`/api/torrents/${id}/files/99/priority`, { priority: 1 })).status).toBe(
      404,
    );
    expect((await B.put(`/api/torrents/${id}/files/0/priority`, { priority: 7 })).status).toBe(400);

    const seq = await B.put<TorrentStatus>(`/api/torrents/${id}/sequential`, { sequential: true });
    expect(seq.body.sequential).toBe(true);

    const pieces = await B.get<{ pieceCount: number; bitfield: string }>(
      `/api/torrents/${id}/pieces`,
    );
    const bits = Buffer.from(pieces.body.bitfield, 'base64');
    expect(bits.length).toBe(Math.ceil(pieces.body.pieceCount / 8));
    expect(bits[0]).toBe(0xff);

    const trackers = await B.get<{ url: string }[]>(`/api/torrents/${id}/trackers`);
    expect(trackers.body.map((t) => t.url)).toEqual(
      expect.arrayContaining([a.tracker!.grpc, a.tracker!.http]),
    );
    const peers = await B.get<unknown[]>(`/api/torrents/${id}/peers`);
    expect(Array.isArray(peers.body)).toBe(true);

    const paused = await B.post<TorrentStatus>(`/api/torrents/${id}/pause`);
    expect(paused.body).toMatchObject({ paused: true, state: 'paused' });
    const resumed = await B.post<TorrentStatus>(`/api/torrents/${id}/resume`);
    expect(resumed.body.paused).toBe(false);
    const rechecked = await B.post<TorrentStatus>(`/api/torrents/${id}/recheck`);
    expect(rechecked.status).toBe(200);
    await waitComplete(B, id);

    const stream = await fetch(
      `${B.base}/api/torrents/${id}/files/${notes.index}/stream?token=${b.token}`,
    );
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(await stream.arrayBuffer())).toEqual(files['sub/notes.txt']);
    const movie = fl.body.find((f) => f.path === 'movie.mp4')!;
    const part = await B.call<string>(
      'GET',
      `/api/torrents/${id}/files/${movie.index}/stream`,
      undefined,
      { range: 'bytes=1000-1999' },
    );
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${movie.length}`);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    const bad = await B.call('GET', `/api/torrents/${id}/files/${movie.index}/stream`, undefined, {
      range: `bytes=${movie.length}-`,
    });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${movie.length}`);
  });

  test('remove with its data', async () => {
    const id = job.infoHash!;
    const removedEvent = new Promise<unknown>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.apiPort}/api/ws?token=${b.token}`);
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        if (msg.type === 'removed') {
          ws.close();
          resolve(msg);
        }
      });
      ws.on('open', () => void B.del(`/api/torrents/${id}?deleteData=true`));
    });
    expect(await removedEvent).toEqual({ type: 'removed', infoHash: id });
    await expect(stat(join(b.dataDir, 'downloads', 'holiday', 'movie.mp4'))).rejects.toThrow();
    expect((await B.get(`/api/torrents/${id}`)).status).toBe(404);
    expect((await B.del(`/api/torrents/${id}`)).status).toBe(404);
  });
});

describe('the same through the catalog', () => {
  test('a torrent published by A is listed in B’s catalog and downloads by info-hash', async () => {
    const single = join(root, 'shares', 'song.mp3');
    const data = randomBytes(700_000);
    await writeFile(single, data);
    const job = await share(A, single);
    expect(job.state).toBe('done');
    await waitComplete(A, job.infoHash!);

    type Catalog = {
      trackers: {
        url: string;
        ok: boolean;
        torrents: { infoHash: string; name: string; size: number; seeders: number }[];
      }[];
    };
    const cat = await waitFor('the catalog entry', async () => {
      const c = await B.get<Catalog>(`/api/catalog?search=${encodeURIComponent('SONG')}`);
      const entry = c.body.trackers[0]?.torrents.find((t) => t.infoHash === job.infoHash);
      return entry && entry.seeders > 0 ? c.body : undefined;
    });
    expect(cat.trackers).toHaveLength(1);
    expect(cat.trackers[0]).toMatchObject({ url: a.tracker!.grpc, ok: true });
    const entry = cat.trackers[0].torrents.find((t) => t.infoHash === job.infoHash)!;
    expect(entry).toMatchObject({ name: 'song.mp3', size: data.length });

    const health = await B.get<{ url: string; ok: boolean }[]>('/api/trackers');
    expect(health.body.find((t) => t.url === a.tracker!.grpc)).toMatchObject({ ok: true });

    const added = await B.post<TorrentStatus>('/api/torrents', {
      infoHash: entry.infoHash,
      name: entry.name,
    });
    expect(added.status).toBe(201);
    await waitComplete(B, entry.infoHash);
    expect(await readFile(join(b.dataDir, 'downloads', 'song.mp3'))).toEqual(data);

    // A torrent that cannot write its files enters the error state, and the GUI is told.
    // A folder where the file should be: the API cannot see it coming, the engine fails to open.
    const blocker = join(b.dataDir, 'downloads', 'blocked');
    await mkdir(join(blocker, 'song.mp3'), { recursive: true });
    const torrentFile = await fetch(`${A.base}/api/torrents/${entry.infoHash}/torrent`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const bytes = Buffer.from(await torrentFile.arrayBuffer());
    await B.del(`/api/torrents/${entry.infoHash}`);
    const errorMsg = new Promise<{ type: string; infoHash: string; error: string }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.apiPort}/api/ws?token=${b.token}`);
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        if (msg.type === 'error') {
          ws.close();
          resolve(msg);
        }
      });
    });
    const broken = await B.post<TorrentStatus>('/api/torrents', {
      torrent: bytes.toString('base64'),
      downloadDir: blocker,
    });
    expect(broken.status).toBe(201);
    const msg = await errorMsg;
    expect(msg).toMatchObject({ type: 'error', infoHash: entry.infoHash });
    expect(msg.error.length).toBeGreaterThan(0);
    const st = (await B.get<TorrentStatus>(`/api/torrents/${entry.infoHash}`)).body;
    expect(st).toMatchObject({ state: 'error', error: msg.error });

    const dead = await B.get<Catalog & { trackers: { error?: string }[] }>(
      '/api/catalog?tracker=grpc://127.0.0.1:1',
    );
    expect(dead.status).toBe(200);
    expect(dead.body.trackers[0]).toMatchObject({ ok: false, torrents: [] });
    expect((await B.get('/api/catalog?tracker=http://x/announce')).status).toBe(400);
  });
});

describe('bad input', () => {
  test('adds that cannot work are 400, 403 or 404 with a reason', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ torrent: 'not base64!!' }, 400, /base64/],
      [{ torrent: Buffer.from('d4:infoi1ee').toString('base64') }, 400, /info/],
      [{ torrent: Buffer.from('garbage').toString('base64') }, 400, /bencode/],
      [{ magnet: 'http://example.com' }, 400, /magnet/],
      [{ magnet: 'magnet:?xt=urn:btih:1234' }, 400, /btih|hash/i],
      [{ infoHash: 'xyz' }, 400, /40 hex/],
      [{}, 400, /exactly one/],
      [{ magnet: 'magnet:?xt=urn:btih:' + 'a'.repeat(40), infoHash: 'a'.repeat(40) }, 400, /one/],
      [
        { magnet: 'magnet:?xt=urn:btih:' + 'c'.repeat(40), downloadDir: '/etc/enjambre' },
        403,
        /outside/,
      ],
      [{ magnet: 'magnet:?xt=urn:btih:' + 'c'.repeat(40), downloadDir: 'rel' }, 400, /absolute/],
    ];
    for (const [body, status, reason] of cases) {
      const res = await A.post<{ error: string }>('/api/torrents', body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error).toMatch(reason);
    }
    const bogus = await A.call('POST', '/api/torrents', undefined, {
      'content-type': 'application/json',
    });
    expect(bogus.status).toBe(400);
  });

  test('random request bodies never get a 5xx', async () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.base64String(),
      fc
        .uint8Array({ minLength: 20, maxLength: 20 })
        .map((h) => `magnet:?xt=urn:btih:${Buffer.from(h).toString('hex')}&tr=x`),
    );
    const body = fc.record(
      {
        magnet: field,
        torrent: field,
        infoHash: field,
        downloadDir: field,
        paused: field,
        path: field,
        priority: field,
        sequential: field,
        maxPeers: field,
      },
      { requiredKeys: [] },
    );
    const targets: [string, string][] = [
      ['POST', '/api/torrents'],
      ['POST', '/api/shares'],
      ['PUT', '/api/settings'],
      ['PUT', `/api/torrents/${'e'.repeat(40)}/sequential`],
      ['PUT', `/api/torrents/${'e'.repeat(40)}/files/0/priority`],
    ];
    for (const sample of fc.sample(body, { numRuns: 40, seed: 42 })) {
      for (const [method, path] of targets) {
        // A random absolute downloadDir in the settings would be created: not on this machine.
        const sent = path === '/api/settings' ? { ...sample, downloadDir: undefined } : sample;
        const res = await B.call(method, path, sent);
        expect({ method, path, sample, status: res.status < 500 }).toEqual({
          method,
          path,
          sample,
          status: true,
        });
        if (res.status === 201) {
          await B.del(`/api/torrents/${(res.body as TorrentStatus).infoHash}`);
        }
      }
    }
    // Settings fuzzing must not leave the daemon unusable.
    expect((await B.get('/api/status')).status).toBe(200);
  });

  test('unknown ids are 404', async () => {
    const id = 'f'.repeat(40);
    for (const [method, path] of [
      ['GET', `/api/torrents/${id}`],
      ['GET', `/api/torrents/nothex`],
      ['POST', `/api/torrents/${id}/pause`],
      ['POST', `/api/torrents/${id}/resume`],
      ['POST', `/api/torrents/${id}/recheck`],
      ['GET', `/api/torrents/${id}/files`],
      ['GET', `/api/torrents/${id}/peers`],
      ['GET', `/api/torrents/${id}/trackers`],
      ['GET', `/api/torrents/${id}/pieces`],
      ['GET', `/api/torrents/${id}/torrent`],
      ['GET', `/api/torrents/${id}/files/0/stream`],
      ['DELETE', `/api/torrents/${id}`],
      ['GET', `/api/nothing-here`],
    ]) {
      expect([method, path, (await A.call(method, path)).status]).toEqual([method, path, 404]);
    }
  });
});
