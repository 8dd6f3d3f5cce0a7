// The @ctrl clients are ESM-only and jest runs CommonJS: each scenario runs here, in a child
// Node, and prints what it saw as one JSON object. Usage: node ctrl-clients.mjs SCENARIO CONFIG
import { readFile } from 'node:fs/promises';
import { Transmission } from '@ctrl/transmission';
import { QBittorrent } from '@ctrl/qbittorrent';

const [scenario, configText] = process.argv.slice(2);
const config = JSON.parse(configText);
const base = `http://127.0.0.1:${config.port}/`;

const strip = (t) => ({
  id: t.id,
  name: t.name,
  state: t.state,
  label: t.label,
  savePath: t.savePath,
  progress: t.progress,
  totalSize: t.totalSize,
});

async function transmission() {
  const client = new Transmission({ baseUrl: base, username: 'sonarr', password: config.password });
  const torrent = await readFile(config.torrentFile);
  // normalizedAddTorrent would send its default download-dir /downloads, outside the allowed
  // folders; it is this plus a label, as a tool configured with a folder does.
  const res = await client.addTorrent(torrent, { 'download-dir': config.downloadDir });
  const hash = res.arguments['torrent-added'].hashString;
  await client.setTorrent(hash, { labels: ['tv'] });
  const added = await client.getTorrent(hash);
  await client.addMagnet(config.magnet, { 'download-dir': config.downloadDir });
  const all = await client.getAllData();
  await client.pauseTorrent(added.id);
  const paused = await client.getTorrent(added.id);
  await client.resumeTorrent(added.id);
  const resumed = await client.getTorrent(added.id);
  const session = await client.getSession();
  await client.removeTorrent(added.id, true);
  const after = await client.getAllData();
  return {
    added: strip(added),
    all: all.torrents.map(strip),
    labels: all.labels,
    rawFirst: all.raw.arguments.torrents[0],
    paused: paused.state,
    resumed: resumed.state,
    rpcVersion: session.arguments['rpc-version'],
    after: after.torrents.map(strip),
  };
}

async function qbittorrent() {
  const client = new QBittorrent({ baseUrl: base, username: 'radarr', password: config.password });
  const version = await client.getAppVersion();
  const api = await client.getApiVersion();
  const torrent = await readFile(config.torrentFile);
  const added = await client.normalizedAddTorrent(torrent, { label: 'movies' });
  await client.addMagnet(config.magnet, { savepath: config.downloadDir, tags: 'later' });
  await client.addTorrentTags(added.id, 'hd,fav');
  const all = await client.getAllData();
  const sync = await client.getSyncMainData(0);
  const sync2 = await client.getSyncMainData(sync.rid);
  await client.pauseTorrent(added.id);
  const paused = await client.getTorrent(added.id);
  await client.resumeTorrent(added.id);
  const resumed = await client.getTorrent(added.id);
  const files = await client.torrentFiles(added.id);
  const props = await client.torrentProperties(added.id);
  const categories = await client.getCategories();
  const tags = await client.getTags();
  await client.removeTorrent(added.id, true);
  const after = await client.listTorrents();
  return {
    version,
    api,
    added: strip(added),
    all: all.torrents.map(strip),
    rawFirst: all.raw.find((t) => t.hash === added.id),
    labels: all.labels,
    sync: {
      rid: sync.rid,
      full: sync.full_update,
      hashes: Object.keys(sync.torrents ?? {}),
      categories: sync.categories,
      tags: sync.tags,
      server: Object.keys(sync.server_state ?? {}),
    },
    sync2: { rid: sync2.rid, full: sync2.full_update ?? false, torrents: sync2.torrents ?? {} },
    paused: paused.state,
    resumed: resumed.state,
    files,
    props: { hash: props.hash, piece_size: props.piece_size, save_path: props.save_path },
    categories,
    tags,
    after: after.map((t) => t.hash),
  };
}

const run = { transmission, qbittorrent }[scenario];
run()
  .then((r) => process.stdout.write(JSON.stringify(r)))
  .catch((err) => {
    process.stderr.write(
      String(err?.stack ?? err) + (err?.data ? ` ${JSON.stringify(err.data)}` : '') + '\n',
    );
    process.exit(1);
  });
