// Real clients against OUR tracker: transmission-cli, aria2c and python3-libtorrent announce to
// enjambre's HTTP and UDP front ends, find each other through it, and a libtorrent seeder and an
// aria2 leecher complete a transfer that only our tracker introduced (DHT, LSD, PEX off).
import * as path from 'node:path';
import { startTracker, type RunningTracker } from '@enjambre/tracker';
import {
  makeTestData,
  makeTorrent,
  removeLater,
  scrape,
  sha1File,
  startAria2,
  startLibtorrent,
  startTransmission,
  stopAll,
  tempDir,
  waitFor,
  waitForSwarm,
} from './peers';

jest.setTimeout(240_000);

const MiB = 1024 * 1024;
let work: string;
let tracker: RunningTracker;
/** The same front ends with UDP on the batched recvmmsg/sendmmsg addon (--udp-io mmsg). */
let mmsgTracker: RunningTracker;

beforeAll(async () => {
  work = await tempDir('tracker-interop');
  removeLater(work);
  tracker = await startTracker({
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    logLevel: 'warn',
    udpIo: 'dgram',
  });
  mmsgTracker = await startTracker({
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    logLevel: 'warn',
    udpIo: 'mmsg',
  });
});

afterAll(async () => {
  await stopAll();
  await tracker?.close();
  await mmsgTracker?.close();
});

const protocols = {
  http: () => `http://127.0.0.1:${tracker.httpPort}/announce`,
  udp: () => `udp://127.0.0.1:${tracker.udpPort}/announce`,
  'udp-mmsg': () => `udp://127.0.0.1:${mmsgTracker.udpPort}/announce`,
};

describe.each(Object.entries(protocols))('over %s', (protocol, announceUrl) => {
  test('transmission, aria2 and libtorrent announce and get each other as peers', async () => {
    const name = `three-${protocol}`;
    const source = await makeTestData(
      path.join(work, `${name}-source`, `${name}.bin`),
      4 * MiB,
      name,
    );
    const torrent = await makeTorrent(source.path, {
      announce: [announceUrl()],
      pieceLength: 64 * 1024,
      output: path.join(work, `${name}.torrent`),
    });
    // Three leechers and no seeder: nobody finishes, so their connections stay up to be seen.
    // Each newcomer learns of the earlier ones only from our tracker (DHT, LSD, PEX off).
    const leech = (client: string) => path.join(work, `${name}-${client}`);
    const transmission = await startTransmission({
      role: 'leech',
      torrentFile: torrent.torrentFile,
      dir: leech('transmission'),
    });
    await waitForSwarm(announceUrl(), torrent.infoHash, { leechers: 1 });

    const aria2 = await startAria2({
      role: 'leech',
      torrentFile: torrent.torrentFile,
      dir: leech('aria2'),
    });
    await waitForSwarm(announceUrl(), torrent.infoHash, { leechers: 2 });
    // Transmission 3.00 keeps one connection per IP address, and every peer here is 127.0.0.1:
    // let aria2 connect to it before libtorrent comes.
    await waitFor(
      async () => (await aria2.peers()).some((p) => decodeURIComponent(p.peerId).startsWith('-TR')),
      60_000,
      'aria2 connected to Transmission',
    );
    await transmission.waitForPeers(1, 60_000);

    const libtorrent = await startLibtorrent({
      role: 'leech',
      torrentFile: torrent.torrentFile,
      dir: leech('libtorrent'),
    });
    // The tracker counts all three, over the protocol under test.
    const counts = await waitForSwarm(announceUrl(), torrent.infoHash, { leechers: 3 });
    expect(counts).toEqual({ complete: 0, incomplete: 3, downloaded: 0 });

    // libtorrent, last to come, got the two others from our tracker (and not itself) ...
    const reply = await waitFor(
      () => libtorrent.alerts.find((a) => a.alert === 'tracker_reply_alert'),
      60_000,
      'libtorrent tracker reply',
    );
    expect(reply.url).toBe(announceUrl());
    expect(reply.num_peers).toBe(2);
    // ... and connects to aria2, which then has both other clients as peers.
    await waitFor(
      () => libtorrent.details?.peers.some((p) => p.client.startsWith('aria2')),
      60_000,
      'libtorrent connected to aria2',
    );
    const aria2Clients = await waitFor(
      async () => {
        const ids = (await aria2.peers()).map((p) => decodeURIComponent(p.peerId).slice(0, 3));
        return ids.includes('-TR') && ids.includes('-LT') ? ids : undefined;
      },
      60_000,
      'aria2 connected to Transmission and libtorrent',
    );
    expect(aria2Clients.sort()).toEqual(['-LT', '-TR']);

    await Promise.all([transmission.stop(), aria2.stop(), libtorrent.stop()]);
  });

  test('libtorrent seeder -> aria2 leecher, introduced only by our tracker', async () => {
    const name = `transfer-${protocol}`;
    const seedDir = path.join(work, `${name}-seed`);
    const source = await makeTestData(path.join(seedDir, `${name}.bin`), 6 * MiB + 777, name);
    const torrent = await makeTorrent(source.path, {
      announce: [announceUrl()],
      pieceLength: 128 * 1024,
      output: path.join(work, `${name}.torrent`),
    });
    const seeder = await startLibtorrent({
      role: 'seed',
      torrentFile: torrent.torrentFile,
      dir: seedDir,
    });
    await seeder.waitForComplete(60_000);
    await waitForSwarm(announceUrl(), torrent.infoHash, { seeders: 1 });

    const leechDir = path.join(work, `${name}-leech`);
    const leecher = await startAria2({
      role: 'leech',
      torrentFile: torrent.torrentFile,
      dir: leechDir,
    });
    await leecher.waitForComplete(120_000);
    expect(await sha1File(path.join(leechDir, `${name}.bin`))).toBe(source.sha1);

    // aria2 announced `completed`: two seeders and one completed download on our tracker.
    const counts = await waitForSwarm(announceUrl(), torrent.infoHash, { seeders: 2 }, 60_000);
    expect(counts.incomplete).toBe(0);
    expect(counts.downloaded).toBeGreaterThanOrEqual(1);
    // And the other protocol's front end sees the same swarm.
    const other = {
      http: protocols.udp(),
      udp: protocols.http(),
      'udp-mmsg': `http://127.0.0.1:${mmsgTracker.httpPort}/announce`,
    }[protocol];
    if (other === undefined) throw new Error(`no other front end for ${protocol}`);
    expect(await scrape(other, torrent.infoHash)).toEqual(counts);

    await Promise.all([seeder.stop(), leecher.stop()]);
  });
});
