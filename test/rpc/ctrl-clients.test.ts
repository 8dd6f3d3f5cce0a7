/**
 * The npm clients Sonarr-like tools are built on (@ctrl/transmission, @ctrl/qbittorrent) drive a
 * real daemon: add a .torrent with a label or category and a magnet, list everything
 * (getAllData, sync/maindata), stop, start, remove with data.
 */
import { join } from 'node:path';
import type { RunningDaemon } from '@enjambre/bridge';
import { makeTestData, makeTorrent } from '../peers';
import { ctrlScenario, removeDir, rpcDaemon, tempDir } from './helpers';

jest.setTimeout(120_000);

/** Whatever the clients returned, as JSON from the child process; the assertions check it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Seen = Record<string, any>;

let root: string;
let d: RunningDaemon;
let torrentFile: string;
let infoHash: string;

beforeAll(async () => {
  root = await tempDir('rpc-ctrl');
  d = await rpcDaemon(join(root, 'daemon'));
  const data = await makeTestData(join(root, 'src', 'show.mkv'), 200_000, 'show');
  const t = await makeTorrent(data.path, {
    announce: ['http://127.0.0.1:1/announce'],
    pieceLength: 32768,
  });
  torrentFile = t.torrentFile;
  infoHash = t.infoHash;
});

afterAll(async () => {
  await d?.close();
  await removeDir(root);
});

const config = () => ({
  port: d.rpcPort,
  password: d.token,
  torrentFile,
  downloadDir: join(d.dataDir, 'downloads'),
});

test('@ctrl/transmission: add with a label, a magnet, getAllData, stop, start, remove', async () => {
  const magnetHash = 'a1'.repeat(20);
  const r = (await ctrlScenario('transmission', {
    ...config(),
    magnet: `magnet:?xt=urn:btih:${magnetHash}&dn=pending`,
  })) as Seen;
  expect(r.rpcVersion).toBe(17);
  expect(r.added).toMatchObject({
    id: infoHash,
    name: 'show.mkv',
    label: 'tv',
    totalSize: 200_000,
  });
  expect(r.all.map((t: { id: string }) => t.id).sort()).toEqual([infoHash, magnetHash].sort());
  expect(r.labels).toEqual([{ id: 'tv', name: 'tv', count: 1 }]);
  for (const k of ['id', 'eta', 'status', 'rateDownload', 'sizeWhenDone', 'leftUntilDone']) {
    expect(Number.isInteger(r.rawFirst[k])).toBe(true);
  }
  expect(r.paused).toBe('paused');
  expect(r.resumed).not.toBe('paused');
  expect(r.after.map((t: { id: string }) => t.id)).toEqual([magnetHash]);
  // The same torrents through the bridge: one source of truth.
  expect(d.bridge.session.get(infoHash)).toBeUndefined();
  expect(d.bridge.record(magnetHash)).toBeDefined();
  await d.bridge.remove(magnetHash, false);
});

test('@ctrl/qbittorrent: login, add with a category, tags, getAllData, sync/maindata, stop, start, remove', async () => {
  const magnetHash = 'b2'.repeat(20);
  const r = (await ctrlScenario('qbittorrent', {
    ...config(),
    magnet: `magnet:?xt=urn:btih:${magnetHash}&dn=later`,
  })) as Seen;
  expect(r.version).toBe('v5.1.2');
  expect(r.api).toBe('2.11.4');
  expect(r.added).toMatchObject({ id: infoHash, name: 'show.mkv', label: 'movies' });
  expect(r.all.map((t: { id: string }) => t.id).sort()).toEqual([infoHash, magnetHash].sort());
  expect(r.rawFirst).toMatchObject({ category: 'movies', tags: 'hd, fav', hash: infoHash });
  expect(r.sync.full).toBe(true);
  expect(r.sync.hashes.sort()).toEqual([infoHash, magnetHash].sort());
  expect(r.sync.categories).toEqual({ movies: { name: 'movies', savePath: '' } });
  // 'tv' is the Transmission label of the first test: labels and tags are one list.
  expect(r.sync.tags.sort()).toEqual(['fav', 'hd', 'later', 'tv']);
  expect(r.sync.server).toContain('dl_info_speed');
  expect(r.sync2.rid).toBe(r.sync.rid + 1);
  expect(r.sync2.full).toBe(false);
  expect(r.paused).toBe('paused');
  expect(r.resumed).not.toBe('paused');
  expect(r.files).toHaveLength(1);
  expect(r.files[0]).toMatchObject({ index: 0, name: 'show.mkv', size: 200_000, priority: 1 });
  expect(r.props).toEqual({
    hash: infoHash,
    piece_size: 32768,
    save_path: join(d.dataDir, 'downloads'),
  });
  expect(r.categories).toEqual({ movies: { name: 'movies', savePath: '' } });
  expect(r.after).toEqual([magnetHash]);
  expect(d.bridge.record(magnetHash)?.tags).toEqual(['later']);
});
