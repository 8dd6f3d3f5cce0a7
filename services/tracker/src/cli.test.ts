import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AnnounceEvent } from '@enjambre/proto';
import { UdpTestClient, httpGet, percentAll, trackerClient } from './testing';

const root = resolve(__dirname, '..', '..', '..');
const cli = join(root, 'services', 'tracker', 'dist', 'cli.js');

interface Ports {
  grpcPort: number;
  httpPort: number;
  udpPort: number;
  metricsPort: number;
}

/** Spawns the real CLI and resolves with the ports from its "listening" log line. */
function spawnTracker(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; ports: Ports; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  return new Promise((resolvePorts, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as Partial<Ports> & { msg: string };
      if (entry.msg === 'listening') resolvePorts({ child, ports: entry as Ports, exited });
    });
    exited.then((code) => reject(new Error(`tracker exited with ${code}: ${stderr}`)));
  });
}

const ZERO_PORTS = ['--port', '0', '--http-port', '0', '--udp-port', '0', '--metrics-port', '0'];

describe('enjambre-tracker command line', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  beforeAll(() => {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'services/tracker'], {
      cwd: root,
    });
    dir = mkdtempSync(join(tmpdir(), 'enjambre-tracker-cli-'));
  }, 120_000);
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every flag and its environment variable in --help', () => {
    const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).replace(
      /\s+/g,
      ' ',
    );
    for (const flag of [
      'ip',
      'port',
      'http-port',
      'udp-port',
      'metrics-port',
      'data-dir',
      'load',
      'save-time',
      'tls',
      'tls-cert',
      'tls-key',
      'red-key',
      'replication-port',
      'peers-file',
      'catalog-ttl',
      'trusted-proxies',
      'allow-ip-param',
      'announce-rate',
      'announce-burst',
      'publish-rate',
      'publish-burst',
      'max-connections-per-ip',
      'head-timeout',
      'dht-port',
      'dht-bootstrap',
    ]) {
      expect(help).toContain(`--${flag} `);
      expect(help).toContain(`ENJAMBRE_TRACKER_${flag.replace(/-/g, '_').toUpperCase()}`);
    }
  });

  it('refuses contradictory flags with a clear message', () => {
    let out = '';
    try {
      execFileSync(process.execPath, [cli, '--load', ...ZERO_PORTS], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      out = String((err as { stderr: string }).stderr);
    }
    expect(out).toMatch(/--load needs --data-dir/);
  });

  it('refuses a DHT bootstrap node that is not host:port, and bootstrap nodes without a DHT', () => {
    const stderrOf = (args: string[], env: Record<string, string> = {}) => {
      try {
        execFileSync(process.execPath, [cli, ...args, ...ZERO_PORTS], {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, ...env },
        });
      } catch (err) {
        return String((err as { stderr: string }).stderr);
      }
      return '';
    };
    expect(stderrOf(['--dht-port', '0', '--dht-bootstrap', 'a:1,nope'])).toMatch(
      /dht-bootstrap.*expected HOST:PORT/,
    );
    expect(stderrOf(['--dht-port', '70000'])).toMatch(/dht-port.*0\.\.65535/);
    expect(stderrOf([], { ENJAMBRE_TRACKER_DHT_BOOTSTRAP: 'tracker-0:6881' })).toMatch(
      /--dht-bootstrap needs --dht-port/,
    );
  });

  it('refuses a trusted proxy list that is not CIDR ranges, from a flag or the environment', () => {
    for (const [args, env] of [
      [['--trusted-proxies', '10.0.0.0/8,nope'], {}],
      [[], { ENJAMBRE_TRACKER_TRUSTED_PROXIES: '10.0.0.0/40' }],
    ] as const) {
      let out = '';
      try {
        execFileSync(process.execPath, [cli, ...args, ...ZERO_PORTS], {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, ...env },
        });
      } catch (err) {
        out = String((err as { stderr: string }).stderr);
      }
      expect(out).toMatch(/trusted-proxies.*(not an address|bad prefix)/);
    }
  });

  it('keeps catalog, seeders and completed counts across SIGTERM and a restart with --load', async () => {
    const infoHash = Buffer.alloc(20, 0x33);
    const first = await spawnTracker([...ZERO_PORTS, '--data-dir', dir, '--save-time', '0']);
    children.push(first.child);
    const grpc = trackerClient(first.ports.grpcPort);
    await grpc.publish({
      infoHash,
      peerId: Buffer.alloc(20, 1),
      ip: '',
      port: 7001,
      name: 'kept across restarts',
      totalSize: 1234,
      fileCount: 2,
    });
    grpc.close();
    const leecher = `/announce?info_hash=${percentAll(infoHash)}&peer_id=${percentAll(Buffer.alloc(20, 2))}&port=7002&left=5&event=started`;
    expect((await httpGet(first.ports.httpPort, leecher)).status).toBe(200);
    const udp = new UdpTestClient(first.ports.udpPort);
    await udp.announce({
      infoHash,
      peerId: Buffer.alloc(20, 3),
      downloaded: 10,
      left: 0,
      uploaded: 0,
      event: 'completed',
      ip: 0,
      key: 0,
      numWant: 0,
      port: 7003,
    });
    udp.close();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // --load from the environment, as a Kubernetes manifest would set it.
    const second = await spawnTracker([...ZERO_PORTS, '--data-dir', dir], {
      ENJAMBRE_TRACKER_LOAD: 'true',
    });
    children.push(second.child);
    const again = trackerClient(second.ports.grpcPort);
    try {
      const list = await again.listTorrents({ pageSize: 10, pageToken: '', query: '' });
      expect(list.torrents).toHaveLength(1);
      expect(list.torrents[0]).toMatchObject({
        name: 'kept across restarts',
        totalSize: 1234,
        fileCount: 2,
        seeders: 2,
        leechers: 1,
        completed: 1,
      });
      const r = await again.announce({
        infoHash,
        peerId: Buffer.alloc(20, 4),
        event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
        uploaded: 0,
        downloaded: 0,
        left: 9,
        port: 7004,
        ip: '',
        numwant: 50,
      });
      expect(r.peers.map((p) => p.port).sort()).toEqual([7001, 7002, 7003]);
    } finally {
      again.close();
    }
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
