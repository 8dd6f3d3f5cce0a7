// DHT interop with Transmission 3.00: it drops 127/8 nodes and announces only with enough good
// nodes, so it runs in a network namespace with 10.x addresses and ten of our DHT nodes, and
// from a bare magnet finds (and dials) the peer our nodes announced.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ManagedProcess, removeLater, stopAll } from '../peers/process';
import { tempDir, waitFor } from '../peers/util';
import { collectJson } from './helpers';
import { LoopbackNamespace } from './netns';

const ns = new LoopbackNamespace('ejtxdht');
const OURS = Array.from({ length: 10 }, (_, i) => `10.68.0.${10 + i}`);
const TX = '10.68.0.20';

describe('DHT interop with Transmission 3.00', () => {
  beforeAll(() => ns.create([...OURS, TX]));
  afterAll(async () => {
    await stopAll();
    ns.destroy();
  });

  it('finds the peer our DHT nodes announced, from a bare magnet', async () => {
    const h = randomBytes(20).toString('hex');
    const child = new ManagedProcess(
      'dht-swarm',
      'ip',
      ns.node(path.join(__dirname, 'swarm-child.ts'), JSON.stringify({ ips: OURS, infoHash: h })),
    );
    const lines = collectJson(child);
    const ready = await waitFor(
      () => lines.find((l) => l.type === 'ready'),
      60000,
      `our nodes (${child.tail()})`,
    );
    const config = await tempDir('tx-dht');
    const dir = await tempDir('tx-dht-dl');
    removeLater(config);
    removeLater(dir);
    await fs.writeFile(
      path.join(config, 'dht.bootstrap'),
      (ready.nodes as string[]).join('\n') + '\n',
    );
    const settings = {
      'dht-enabled': true,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'bind-address-ipv4': TX,
      'peer-port': 51413,
      'peer-port-random-on-start': false,
      'rpc-enabled': false,
      'message-level': 3,
      encryption: 0, // tolerated: plain handshakes, so the listener can read the info-hash
    };
    await fs.writeFile(path.join(config, 'settings.json'), JSON.stringify(settings));
    new ManagedProcess(
      'transmission-dht',
      'ip',
      ns.exec(
        'stdbuf',
        '-o0',
        'transmission-cli',
        '-g',
        config,
        '-w',
        dir,
        '-M',
        '-U',
        `magnet:?xt=urn:btih:${h}`,
      ),
    );
    await waitFor(
      () => lines.some((l) => l.type === 'dialed' && l.infoHash === h),
      90000,
      'Transmission dials our peer',
      500,
    );
  }, 150000);
});
