// aria2c (Debian, 1.36) as a peer. Status and the peer list come from its JSON-RPC server
// (127.0.0.1 only), which is far more reliable than parsing its console summary.
import { promises as fs } from 'node:fs';
import { PeerBase, type PeerRole, type PeerStatus } from './peer';
import { ManagedProcess, removeLater } from './process';
import { bdecode } from './scrape';
import { freePort, GiveUp, removeDir, tempDir, waitFor } from './util';

export interface Aria2Options {
  role: PeerRole;
  torrentFile: string;
  /** Download folder; a seeder's data must already be there (verified with -V on start). */
  dir: string;
  port?: number;
  /** Extra announce URLs (`--bt-tracker`). */
  trackers?: string[];
  /** Only use `trackers`, not the torrent's own announce URLs. */
  excludeTorrentTrackers?: boolean;
  /** Re-announce period in seconds, overriding the tracker's interval (aria2's own rule). */
  announceInterval?: number;
  /** Peer exchange (BEP 11); off by default so only trackers introduce peers. */
  pex?: boolean;
  prefix?: string[];
}

export interface Aria2PeerInfo {
  ip: string;
  port: string;
  peerId: string;
  seeder: string;
  downloadSpeed: string;
  uploadSpeed: string;
}

interface Aria2Download {
  gid: string;
  status: string;
  totalLength: string;
  completedLength: string;
  connections: string;
  downloadSpeed: string;
  uploadSpeed: string;
  verifiedLength?: string;
  verifyIntegrityPending?: string;
  seeder?: string;
  errorMessage?: string;
}

export class Aria2Peer extends PeerBase {
  readonly client = 'aria2' as const;
  private rpcId = 0;

  constructor(
    proc: ManagedProcess,
    readonly port: number,
    readonly dir: string,
    private readonly rpcPort: number,
    private readonly stateDir: string,
  ) {
    super(proc);
  }

  /** One JSON-RPC call to aria2 (see aria2c(1), "RPC INTERFACE"). */
  async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${this.rpcPort}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: String(++this.rpcId), method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`aria2 ${method}: ${body.error.message}`);
    return body.result as T;
  }

  /** The torrent's download entry (active, waiting or stopped). */
  async download(): Promise<Aria2Download | undefined> {
    for (const [method, params] of [
      ['aria2.tellActive', []],
      ['aria2.tellWaiting', [0, 10]],
      ['aria2.tellStopped', [0, 10]],
    ] as const) {
      const list = await this.rpc<Aria2Download[]>(method, [...params]);
      if (list.length > 0) return list[0];
    }
    return undefined;
  }

  /** The peers aria2 is connected to. */
  async peers(): Promise<Aria2PeerInfo[]> {
    const d = await this.download();
    return d ? this.rpc<Aria2PeerInfo[]>('aria2.getPeers', [d.gid]) : [];
  }

  async status(): Promise<PeerStatus> {
    const d = await this.download();
    if (!d) return { progress: 0, peers: 0, state: 'starting', downloadRate: 0, uploadRate: 0 };
    if (d.status === 'error')
      throw new GiveUp(`aria2 download failed: ${d.errorMessage ?? 'unknown'}`);
    const total = Number(d.totalLength);
    const checking = d.verifiedLength !== undefined || d.verifyIntegrityPending === 'true';
    return {
      progress: checking || total === 0 ? 0 : Number(d.completedLength) / total,
      peers: Number(d.connections),
      state: checking ? 'checking' : d.seeder === 'true' ? 'seeding' : d.status,
      downloadRate: Number(d.downloadSpeed),
      uploadRate: Number(d.uploadSpeed),
    };
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    await removeDir(this.stateDir);
  }
}

export async function startAria2(options: Aria2Options): Promise<Aria2Peer> {
  const port = options.port ?? (await freePort());
  const rpcPort = await freePort();
  const stateDir = await tempDir('aria2');
  removeLater(stateDir);
  // aria2 sends UDP tracker requests from its DHT socket, so UDP trackers only work with DHT on.
  // Then DHT runs on 127.0.0.1 with no entry point and an empty routing table: it reaches nobody.
  const useDht = (options.trackers ?? [])
    .concat(await announceUrls(options.torrentFile))
    .some((u) => u.startsWith('udp:'));
  const args = [
    `--dir=${options.dir}`,
    `--listen-port=${port}`,
    '--interface=127.0.0.1', // binds the peer listener and outgoing sockets to loopback
    '--disable-ipv6=true',
    `--enable-dht=${useDht}`,
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    `--enable-peer-exchange=${options.pex ?? false}`,
    '--bt-require-crypto=false',
    '--bt-min-crypto-level=plain',
    '--seed-ratio=0.0', // seed until stopped
    '--check-integrity=true', // -V: verify existing data (a seeder's files) before use
    '--bt-seed-unverified=false',
    '--bt-hash-check-seed=true',
    '--file-allocation=none',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--bt-save-metadata=false',
    '--bt-stop-timeout=0',
    '--enable-rpc=true',
    `--rpc-listen-port=${rpcPort}`,
    '--rpc-listen-all=false',
    `--stop-with-process=${process.pid}`, // never outlive the test process
    '--summary-interval=0',
    '--console-log-level=notice',
    '--enable-color=false',
    `--dht-file-path=${stateDir}/dht.dat`,
  ];
  if (useDht) args.push(`--dht-listen-port=${await freePort()}`);
  if (options.trackers?.length) args.push(`--bt-tracker=${options.trackers.join(',')}`);
  if (options.excludeTorrentTrackers) args.push('--bt-exclude-tracker=*');
  if (options.announceInterval !== undefined)
    args.push(`--bt-tracker-interval=${options.announceInterval}`);
  args.push(options.torrentFile);
  const argv = [...(options.prefix ?? []), 'aria2c', ...args];
  const proc = new ManagedProcess('aria2', argv[0], argv.slice(1), { cwd: stateDir });
  const peer = new Aria2Peer(proc, port, options.dir, rpcPort, stateDir);
  try {
    await waitFor(
      async () => {
        if (proc.hasExited) throw new GiveUp('exited');
        return (await peer.rpc<{ version: string }>('aria2.getVersion')).version;
      },
      20_000,
      'aria2 RPC answering',
    );
  } catch (error) {
    await proc.stop();
    await removeDir(stateDir);
    throw new Error(`aria2 did not start: ${(error as Error).message}\n${proc.tail()}`);
  }
  return peer;
}

/** The announce URLs of a .torrent (announce and every tier of announce-list). */
async function announceUrls(torrentFile: string): Promise<string[]> {
  const meta = bdecode(await fs.readFile(torrentFile)) as Record<string, unknown>;
  const urls: string[] = [];
  if (Buffer.isBuffer(meta.announce)) urls.push(meta.announce.toString('utf8'));
  for (const tier of (meta['announce-list'] as Buffer[][] | undefined) ?? []) {
    for (const url of tier) urls.push(url.toString('utf8'));
  }
  return urls;
}
