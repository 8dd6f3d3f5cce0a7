// DHT interop with aria2 1.36: from a bare magnet it finds, through our DHT nodes only, the peer
// an enjambre node announced (and dials it); and it announces itself, so we find it.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Dht } from '@enjambre/engine';
import { ManagedProcess, removeLater, stopAll } from '../peers/process';
import { freePort, tempDir, waitFor } from '../peers/util';
import { closeAll, startNetwork } from './helpers';

const NET = 67;

describe('DHT interop with aria2', () => {
  let nodes: Dht[] = [];
  let server: net.Server | undefined;
  afterAll(async () => {
    await stopAll();
    await closeAll(nodes);
    server?.close();
  });

  it('aria2 finds and dials our announced peer; we find aria2', async () => {
    nodes = await startNetwork(4, NET);
    const h = randomBytes(20);
    // a TCP listener standing in for an enjambre seeder on 127.0.67.11
    const dialed: string[] = [];
    server = net.createServer((sock) => {
      sock.once('data', (d) => {
        if (d.length >= 48) dialed.push(d.subarray(28, 48).toString('hex'));
        sock.destroy();
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server!.listen(0, `127.0.${NET}.11`, () => r()));
    const seedPort = (server.address() as net.AddressInfo).port;
    expect((await nodes[1].announce(h, seedPort)).announcedTo).toBeGreaterThan(0);

    const dir = await tempDir('aria2-dht');
    removeLater(dir);
    const dhtPort = await freePort();
    const peerPort = await freePort();
    const aria = new ManagedProcess('aria2-dht', 'aria2c', [
      `--dir=${dir}`,
      `--listen-port=${peerPort}`,
      `--interface=127.0.${NET}.20`,
      '--enable-dht=true',
      `--dht-listen-addr=127.0.${NET}.20`,
      `--dht-listen-port=${dhtPort}`,
      `--dht-entry-point=127.0.${NET}.10:${nodes[0].port}`,
      `--dht-file-path=${path.join(dir, 'dht.dat')}`,
      '--enable-dht6=false',
      '--disable-ipv6=true',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-require-crypto=false',
      '--summary-interval=0',
      '--console-log-level=notice',
      `magnet:?xt=urn:btih:${h.toString('hex')}`,
    ]);
    await waitFor(
      () => dialed.includes(h.toString('hex')),
      60000,
      `aria2 dials our peer (${aria.tail()})`,
      250,
    );
    await waitFor(
      async () =>
        (await nodes[3].lookup(h)).peers.some(
          (p) => p.ip === `127.0.${NET}.20` && p.port === peerPort,
        ),
      60000,
      'we find aria2',
      1000,
    );
  }, 150000);
});
