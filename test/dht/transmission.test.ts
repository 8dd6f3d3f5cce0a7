// DHT interop with Transmission 3.00: it drops 127/8 nodes and announces only with enough good
// nodes, so it runs in a network namespace with 10.x addresses and ten of our DHT nodes, and
// from a bare magnet finds (and dials) the peer our nodes announced.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ManagedProcess, removeLater, stopAll } from '../peers/process';
import { tempDir, waitFor } from '../peers/util';

const ns = `ejtxdht${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const OURS = Array.from({ length: 10 }, (_, i) => `10.68.0.${10 + i}`);
const TX = '10.68.0.20';

interface Line {
  type: string;
  nodes?: string[];
  infoHash?: string;
}

describe('DHT interop with Transmission 3.00', () => {
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    for (const a of [...OURS, TX]) ip('-n', ns, 'addr', 'add', `${a}/32`, 'dev', 'lo');
  });
  afterAll(async () => {
    await stopAll();
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  });

  it('finds the peer our DHT nodes announced, from a bare magnet', async () => {
    const h = randomBytes(20).toString('hex');
    const lines: Line[] = [];
    const child = new ManagedProcess('dht-swarm', 'ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      path.join(__dirname, '..', 'engine', 'ts-child.js'),
      path.join(__dirname, 'swarm-child.ts'),
      JSON.stringify({ ips: OURS, infoHash: h }),
    ]);
    child.onLine((l) => {
      try {
        lines.push(JSON.parse(l) as Line);
      } catch {
        // not ours
      }
    });
    const ready = await waitFor(
      () => lines.find((l) => l.type === 'ready'),
      60000,
      `our nodes (${child.tail()})`,
    );
    const config = await tempDir('tx-dht');
    const dir = await tempDir('tx-dht-dl');
    removeLater(config);
    removeLater(dir);
    await fs.writeFile(path.join(config, 'dht.bootstrap'), ready.nodes!.join('\n') + '\n');
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
    new ManagedProcess('transmission-dht', 'ip', [
      'netns',
      'exec',
      ns,
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
    ]);
    await waitFor(
      () => lines.some((l) => l.type === 'dialed' && l.infoHash === h),
      90000,
      'Transmission dials our peer',
      500,
    );
  }, 150000);
});
