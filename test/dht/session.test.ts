// The Session-level switch and the peer-source adapters: two sessions with DHT nodes find each
// other's peer ports through dhtPeerSource; the DHT keeps its table under the session's dataDir.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { dhtPeerSource, Dht, Session, type PeerAddress } from '@enjambre/engine';
import { removeDir, tempDir, waitFor } from '../peers/util';

describe('Session with a DHT node', () => {
  const sessions: Session[] = [];
  const dirs: string[] = [];
  let router: Dht;
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await router?.close();
    await Promise.all(dirs.map(removeDir));
  });

  async function session(ip: string): Promise<Session> {
    const dir = await tempDir('dht-session');
    dirs.push(dir);
    const s = new Session({
      dataDir: path.join(dir, 'data'),
      downloadDir: path.join(dir, 'dl'),
      listenHost: ip,
      dht: { host: ip, bootstrap: [`127.0.65.2:${router.port}`], queryTimeoutMs: 1000 },
    });
    sessions.push(s);
    await s.start();
    return s;
  }

  const noStats = () => ({ uploaded: 0, downloaded: 0, left: 0 });

  it('starts the DHT on the peer port and the sources find each other', async () => {
    router = new Dht({ host: '127.0.65.2' });
    await router.start();
    const a = await session('127.0.65.10');
    const b = await session('127.0.65.11');
    expect(a.dht!.port).toBe(a.port); // one port number for TCP peers and the DHT
    expect(a.lsd).toBeUndefined();
    await b.dht!.bootstrap();
    expect(b.dht!.nodeCount).toBeGreaterThan(0);
    expect(await readdir(path.join(dirs[0], 'data'))).toContain('dht');

    const infoHash = randomBytes(20);
    const foundByA: PeerAddress[] = [];
    const foundByB: PeerAddress[] = [];
    const srcA = dhtPeerSource(a.dht!)({ infoHash, port: () => a.port, stats: noStats }, (p) =>
      foundByA.push(...p),
    )!;
    const srcB = dhtPeerSource(b.dht!, 500)({ infoHash, port: () => b.port, stats: noStats }, (p) =>
      foundByB.push(...p),
    )!;
    expect(srcA.publicOnly).toBe(true);
    srcA.start('announce');
    srcB.start('lookup'); // looks up every 500 ms, never announces
    await waitFor(
      () => foundByB.some((p) => p.host === '127.0.65.10' && p.port === a.port),
      20000,
      'b finds a',
    );
    await srcB.stop();
    srcA.close();
    // b only looked: nobody stores b as a peer
    const r = await router.lookup(infoHash);
    expect(r.peers.some((p) => p.ip === '127.0.65.11')).toBe(false);
    expect(r.peers.some((p) => p.ip === '127.0.65.10')).toBe(true);
  }, 40000);
});
