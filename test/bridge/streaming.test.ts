/**
 * Streaming: a Range request on a file that is still downloading answers with the right bytes,
 * before the download completes (the seeder's upload is throttled so the file stays partial).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileStatus, TorrentStatus } from '@enjambre/engine';
import type { RunningDaemon } from '@enjambre/bridge';
import { api, removeDir, tempDir, testDaemon, waitFor } from './helpers';

jest.setTimeout(180_000);

let root: string;
let seeder: RunningDaemon;
let leecher: RunningDaemon;

beforeAll(async () => {
  root = await tempDir('bridge-stream');
  seeder = await testDaemon(join(root, 'seeder'), {
    withTracker: true,
    allowFolders: [join(root, 'media')],
  });
  leecher = await testDaemon(join(root, 'leecher'));
});
afterAll(async () => {
  await Promise.all([seeder?.close(), leecher?.close()]);
  await removeDir(root);
});

test('a range near the end of a partial file comes back right, before the download ends', async () => {
  const S = api(seeder);
  const L = api(leecher);
  const movie = randomBytes(8 * 1024 * 1024 + 777);
  const dir = join(root, 'media');
  await mkdir(dir);
  await writeFile(join(dir, 'clip.webm'), movie);

  const res = await S.post<{ id: string }>('/api/shares', { path: join(dir, 'clip.webm') });
  const job = await waitFor('the share', async () => {
    const j = (
      await S.get<{ state: string; infoHash?: string; magnet?: string }>(
        `/api/shares/${res.body.id}`,
      )
    ).body;
    return j.state === 'done' ? j : undefined;
  });
  await waitFor('the seeder to verify', async () =>
    (await S.get<TorrentStatus>(`/api/torrents/${job.infoHash}`)).body.state === 'seeding'
      ? true
      : undefined,
  );
  // 128 KiB/s: the whole file would take about a minute.
  expect((await S.put('/api/settings', { uploadRateLimit: 128 * 1024 })).status).toBe(200);

  const added = await L.post<TorrentStatus>('/api/torrents', { magnet: job.magnet });
  expect(added.status).toBe(201);
  const id = added.body.infoHash;
  const files = await waitFor('the metadata', async () => {
    const f = (await L.get<FileStatus[]>(`/api/torrents/${id}/files`)).body;
    return f.length > 0 ? f : undefined;
  });
  expect(files[0]).toMatchObject({ path: 'clip.webm', length: movie.length });

  const start = movie.length - 300_000;
  const end = movie.length - 100_001;
  const got = await fetch(`${L.base}/api/torrents/${id}/files/0/stream?token=${leecher.token}`, {
    headers: { range: `bytes=${start}-${end}` },
  });
  expect(got.status).toBe(206);
  expect(got.headers.get('content-type')).toBe('video/webm');
  expect(got.headers.get('content-range')).toBe(`bytes ${start}-${end}/${movie.length}`);
  expect(got.headers.get('content-length')).toBe(String(end - start + 1));
  const body = Buffer.from(await got.arrayBuffer());
  expect(body.equals(movie.subarray(start, end + 1))).toBe(true);

  const status = (await L.get<TorrentStatus>(`/api/torrents/${id}`)).body;
  expect(status.progress).toBeLessThan(1);

  // A suffix range and the first bytes too.
  const head = await fetch(`${L.base}/api/torrents/${id}/files/0/stream?token=${leecher.token}`, {
    headers: { range: 'bytes=0-65535' },
  });
  expect(head.status).toBe(206);
  expect(Buffer.from(await head.arrayBuffer()).equals(movie.subarray(0, 65536))).toBe(true);
  expect((await S.put('/api/settings', { uploadRateLimit: 0 })).status).toBe(200);
});
