/**
 * DHT interop with aria2 1.36: aria2 downloads a whole file from an enjambre seeder (a real
 * Session, DHT on, no tracker anywhere) that it found only through the DHT, from a bare
 * info-hash magnet (the metadata then comes from our seeder by BEP 9) and from a .torrent with
 * no announce URL. aria2 also announces itself, so our nodes find it. Bytes are verified.
 * aria2 has no address filter, so everything runs on loopback addresses 127.0.67.x.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dht } from '@enjambre/engine';
import { ManagedProcess, stopAll } from '../peers/process';
import { freePort, GiveUp, sha1File, waitFor } from '../peers/util';
import { makeTorrent, sessionWorkspace, sha1, startSession } from '../engine/helpers';
import { closeAll, startNetwork } from './helpers';

jest.setTimeout(300_000);

const NET = 67;
const ws = sessionWorkspace('aria2-dht');
let nodes: Dht[] = [];

beforeAll(async () => {
  // our own DHT nodes on 127.0.67.10-13: aria2's entry point and the seeder's bootstrap
  nodes = await startNetwork(4, NET);
});
afterEach(async () => {
  await stopAll();
});
afterAll(async () => {
  await closeAll(nodes);
});

/** Until a get_peers lookup from one of our nodes returns `ip:port` for the torrent. */
async function announced(infoHash: string, ip: string, port: number, what: string) {
  const h = Buffer.from(infoHash, 'hex');
  await waitFor(
    async () => (await nodes[3].lookup(h)).peers.some((p) => p.ip === ip && p.port === port),
    90_000,
    what,
    500,
  );
}

describe.each(['magnet', 'torrent'] as const)('aria2 as leecher (%s)', (kind) => {
  test('downloads from an enjambre seeder it found only through the DHT', async () => {
    const host = (n: number) => `127.0.${NET}.${n + (kind === 'magnet' ? 0 : 10)}`;
    const name = `to-aria2-${kind}.bin`;
    const seedDir = path.join(ws.root, 'seed');
    const t = await makeTorrent(seedDir, name, 1_500_000 + 777, { pieceLength: 64 * 1024 });
    const seeder = await startSession(path.join(ws.root, 's'), {
      listenHost: host(30),
      dht: { bootstrap: [`127.0.${NET}.10:${nodes[0].port}`], queryTimeoutMs: 1500 },
      // slow enough that aria2 is still downloading when its own announce reaches our nodes
      uploadRateLimit: 500_000,
    });
    ws.sessions.push(seeder);
    const seeding = await seeder.add(
      { torrent: t.torrent },
      { downloadDir: seedDir, seedMode: true },
    );
    await announced(t.infoHash, host(30), seeder.port, 'the enjambre seeder announced');

    const dir = path.join(ws.root, 'aria2');
    const torrentFile = path.join(ws.root, `${name}.torrent`);
    await writeFile(torrentFile, t.torrent);
    const aria2Ip = host(31);
    const peerPort = await freePort();
    const aria = new ManagedProcess('aria2-dht', 'aria2c', [
      `--dir=${dir}`,
      `--listen-port=${peerPort}`,
      `--interface=${aria2Ip}`,
      '--enable-dht=true',
      `--dht-listen-addr=${aria2Ip}`,
      `--dht-listen-port=${await freePort()}`,
      `--dht-entry-point=127.0.${NET}.10:${nodes[0].port}`,
      `--dht-file-path=${path.join(dir, 'dht.dat')}`,
      '--enable-dht6=false',
      '--disable-ipv6=true',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-require-crypto=false',
      '--bt-save-metadata=false',
      '--check-integrity=true',
      '--summary-interval=1',
      '--console-log-level=notice',
      kind === 'magnet' ? `magnet:?xt=urn:btih:${t.infoHash}` : torrentFile,
    ]);
    const want = sha1(t.files[0].data);
    const got = path.join(dir, name);
    const seen = new Set<string>();
    // aria2 keeps seeding after it finishes; the file it wrote is checked until it is whole
    await waitFor(
      async () => {
        if (aria.hasExited) throw new GiveUp(`aria2 exited:\n${aria.tail()}`);
        for (const p of seeding.peers()) seen.add(`${p.address} ${p.client}`);
        return (await sha1File(got)) === want;
      },
      180_000,
      `aria2 downloads the whole file (${aria.tail(10)})`,
      500,
    );
    // the only way aria2 could learn of the seeder was the DHT (no tracker, LPD or PEX), and the
    // bytes came from our seeder
    expect([...seen].some((p) => p.startsWith(`${aria2Ip}:`) && /aria2/i.test(p))).toBe(true);
    expect(seeding.status().uploadedTotal).toBeGreaterThanOrEqual(t.files[0].data.length);
    await announced(t.infoHash, aria2Ip, peerPort, 'aria2 announced itself on our DHT');
    await aria.stop();
  });
});
