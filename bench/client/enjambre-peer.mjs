#!/usr/bin/env node
// One enjambre engine Session as a benchmark peer, in its own process so that its CPU time and
// memory are measured apart from the benchmark's. Uses the built engine (client/engine/dist).
//
//   node bench/client/enjambre-peer.mjs '{"role":"seed"|"leech","torrentFile":F,"dir":D,"dataDir":S}'
//
// Prints one JSON object per line: {"type":"listening","port":N}, {"type":"status",...} every
// `interval` ms, {"type":"done"} the moment every file is complete and verified (leech) or the
// data is verified and seeding (seed), {"type":"error","message":M}. Stops on SIGTERM/SIGINT.
// Reads commands on stdin (see below).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { Session } = require('../../client/engine/dist/index.js');

const options = JSON.parse(process.argv[2]);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const session = new Session({
  dataDir: options.dataDir,
  downloadDir: options.dir,
  listenHost: '127.0.0.1',
});
await session.start();
emit({ type: 'listening', port: session.port });

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await session.close().catch(() => {});
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

const torrent = await session.add(
  { torrent: readFileSync(options.torrentFile) },
  { downloadDir: options.dir, seedMode: options.role === 'seed' },
);
torrent.on('error', (error) => emit({ type: 'error', message: error.message }));
// Commands on stdin, one JSON object per line: {"connect":"127.0.0.1:PORT"} dials a peer (for
// leechers that never dial loopback peers themselves, such as transmission-cli), and dials it
// again every 2 s while it is not connected, as the libtorrent peer script does.
const dialling = new Set();
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (typeof command.connect === 'string') {
    dialling.add(command.connect);
    torrent.addPeer(command.connect);
  }
});
setInterval(() => {
  const connected = new Set(torrent.peers().map((p) => p.address));
  for (const address of dialling) if (!connected.has(address)) torrent.addPeer(address);
}, 2000).unref();
const timer = setInterval(() => {
  const s = torrent.status();
  emit({
    type: 'status',
    state: s.state,
    progress: s.progress,
    downloadRate: s.downloadRate,
    uploadRate: s.uploadRate,
    peers: s.seeders + s.leechers,
    error: s.error,
  });
}, options.interval ?? 250);

if (options.role === 'seed') {
  const seeding = () => torrent.status().state === 'seeding';
  if (seeding()) emit({ type: 'done' });
  else torrent.on('state', (state) => state === 'seeding' && emit({ type: 'done' }));
} else {
  torrent.whenDone().then(
    () => emit({ type: 'done' }),
    (error) => emit({ type: 'error', message: error.message }),
  );
}
