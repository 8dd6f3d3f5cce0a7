import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { BridgeState, Settings } from './state';

const defaults: Settings = {
  downloadDir: '/tmp/dl',
  listenPort: 0,
  maxPeers: 50,
  uploadRateLimit: 0,
  downloadRateLimit: 0,
  trackers: [],
  dhtEnabled: false,
  dhtPort: 0,
  dhtBootstrap: [],
  lsdEnabled: false,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enjambre-state-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('settings and torrents survive reopening the database', async () => {
  const s1 = new BridgeState(join(dir, 'db'));
  await s1.open();
  expect(await s1.getSettings(defaults)).toEqual(defaults);
  await s1.putSettings({ ...defaults, maxPeers: 80, trackers: ['grpc://127.0.0.1:8168'] });
  await s1.putTorrent({
    infoHash: 'b'.repeat(40),
    magnet: 'magnet:?xt=urn:btih:' + 'b'.repeat(40),
    downloadDir: '/tmp/dl',
    paused: false,
    sequential: false,
    addedAt: 2,
  });
  await s1.putTorrent({
    infoHash: 'a'.repeat(40),
    torrent: 'ZGU=',
    downloadDir: '/tmp/dl',
    paused: true,
    sequential: true,
    addedAt: 1,
  });
  await s1.close();

  const s2 = new BridgeState(join(dir, 'db'));
  await s2.open();
  expect((await s2.getSettings(defaults)).maxPeers).toBe(80);
  const list = await s2.listTorrents();
  expect(list.map((t) => t.infoHash)).toEqual(['a'.repeat(40), 'b'.repeat(40)]);
  expect(list[0].paused).toBe(true);
  await s2.deleteTorrent('a'.repeat(40));
  expect((await s2.listTorrents()).length).toBe(1);
  await s2.close();
});

test('settings of an older version load; their allowedRoots are set aside, not applied', async () => {
  const old = new ClassicLevel<string, string>(join(dir, 'db'), { valueEncoding: 'utf8' });
  await old.put(
    'settings',
    JSON.stringify({ ...defaults, maxPeers: 33, allowedRoots: ['/', '/srv/media'] }),
  );
  await old.close();

  const s = new BridgeState(join(dir, 'db'));
  await s.open();
  const loaded = await s.getSettings(defaults);
  expect(loaded).toEqual({ ...defaults, maxPeers: 33 });
  expect(loaded).not.toHaveProperty('allowedRoots');
  expect(await s.legacyAllowedRoots()).toEqual(['/', '/srv/media']);
  // Loading again finds them set aside already, and nothing is lost.
  expect(await s.getSettings(defaults)).toEqual({ ...defaults, maxPeers: 33 });
  expect(await s.legacyAllowedRoots()).toEqual(['/', '/srv/media']);
  await s.close();
});

test('a database from before categories and tags loads, and they persist once set', async () => {
  const s1 = new BridgeState(join(dir, 'db'));
  await s1.open();
  // A record as the bridge wrote it before the remote-control APIs: no category, no tags.
  await s1.putTorrent({
    infoHash: 'c'.repeat(40),
    magnet: 'magnet:?xt=urn:btih:' + 'c'.repeat(40),
    downloadDir: '/tmp/dl',
    paused: false,
    sequential: false,
    addedAt: 3,
  });
  expect(await s1.getCategories()).toEqual([]);
  expect(await s1.getTags()).toEqual([]);
  expect(await s1.getRpcCredentials()).toBeUndefined();
  await s1.putCategories([{ name: 'tv', savePath: '/tmp/dl/tv' }]);
  await s1.putTags(['hd']);
  const [old] = await s1.listTorrents();
  await s1.putTorrent({ ...old, category: 'tv', tags: ['hd'] });
  await s1.close();

  const s2 = new BridgeState(join(dir, 'db'));
  await s2.open();
  expect(await s2.getCategories()).toEqual([{ name: 'tv', savePath: '/tmp/dl/tv' }]);
  expect(await s2.getTags()).toEqual(['hd']);
  expect((await s2.listTorrents())[0]).toMatchObject({
    category: 'tv',
    tags: ['hd'],
    paused: false,
  });
  await s2.close();
});
