/**
 * Web seeds through the bridge: a torrent whose only source is an HTTP server downloads, its
 * web seed shows in the REST status and survives a daemon restart (the stored .torrent keeps
 * its url-list).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TorrentStatus } from '@enjambre/engine';
import type { RunningDaemon } from '@enjambre/bridge';
import { makeTorrent } from '../engine/helpers';
import { startSeedServer, type TestSeedServer } from '../engine/webseed-servers';
import { api, removeDir, tempDir, testDaemon, waitFor } from './helpers';

jest.setTimeout(120_000);

let root: string;
let daemon: RunningDaemon | undefined;
let server: TestSeedServer;

beforeAll(async () => {
  root = await tempDir('bridge-webseed');
  server = await startSeedServer(join(root, 'www'), 'range');
});

afterAll(async () => {
  await daemon?.close();
  await server?.close();
  await removeDir(root);
});

test('a web-seeded torrent downloads and its seed shows in the status, also after a restart', async () => {
  const t = await makeTorrent(join(root, 'www'), 'clip.bin', 700_000, {
    pieceLength: 32 * 1024,
    urlList: [`${server.url}clip.bin`, 'file:///etc/passwd'],
  });
  daemon = await testDaemon(join(root, 'd'));
  const A = api(daemon);
  const added = await A.post<TorrentStatus>('/api/torrents', {
    torrent: t.torrent.toString('base64'),
  });
  expect(added.status).toBe(201);
  const done = await waitFor('download', async () => {
    const s = (await A.get<TorrentStatus>(`/api/torrents/${t.infoHash}`)).body;
    return s.progress === 1 ? s : undefined;
  });
  expect(done.webSeeds).toHaveLength(1); // the file: URL is not used
  expect(done.webSeeds[0]).toMatchObject({ url: `${server.url}clip.bin` });
  expect(done.webSeeds[0].downloaded).toBeGreaterThanOrEqual(700_000);
  const got = await readFile(join(root, 'd', 'downloads', 'clip.bin'));
  expect(got.equals(t.files[0].data)).toBe(true);

  await daemon.close();
  daemon = await testDaemon(join(root, 'd'));
  const again = await waitFor('restarted torrent', async () => {
    const r = await api(daemon!).get<TorrentStatus>(`/api/torrents/${t.infoHash}`);
    return r.status === 200 ? r.body : undefined;
  });
  expect(again.webSeeds.map((w) => w.url)).toEqual([`${server.url}clip.bin`]);
});
