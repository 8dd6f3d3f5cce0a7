// enjambre peer for the client benchmark (uses the build: run `npx tsc -b` first).
// usage: node enjambre_peer.js seed|leech TORRENT DIR DATADIR [PEER host:port]
// Prints "listening PORT", then "ready" (seeder verified) or "done" (leecher complete, then exits).
const { readFileSync } = require('node:fs');
const { Session } = require('../../client/engine/dist/index.js');

async function main() {
  const [mode, torrent, dir, dataDir, peer] = process.argv.slice(2);
  const s = new Session({ dataDir, downloadDir: dir, listenHost: '127.0.0.1', uploadSlots: 8 });
  await s.start();
  console.log('listening', s.port);
  const t = await s.add(
    { torrent: readFileSync(torrent) },
    { downloadDir: dir, seedMode: mode === 'seed', skipCheck: mode !== 'seed' },
  );
  if (peer) t.addPeer(peer);
  if (mode === 'seed') {
    if (t.status().state !== 'seeding') throw new Error(`seed: ${t.status().error}`);
    console.log('ready');
    process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
    return;
  }
  await t.whenDone();
  console.log('done');
  await s.close();
  process.exit(0);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
