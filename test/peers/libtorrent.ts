// A python3-libtorrent peer (Debian's libtorrent-rasterbar 2.0.x) driven by libtorrent_peer.py.
import * as path from 'node:path';
import { PeerBase, type PeerRole, type PeerStatus } from './peer';
import { ManagedProcess } from './process';
import { GiveUp, waitFor } from './util';

export interface LibtorrentOptions {
  role: PeerRole;
  /** A .torrent file or a magnet link (exactly one). */
  torrentFile?: string;
  magnet?: string;
  /** Save path: a seeder's data must already be there (it is verified on start). */
  dir: string;
  /** Announce URLs added to the torrent's own. */
  trackers?: string[];
  /** `127.0.0.1:port` peers to connect to directly, so a test needs no tracker. */
  peers?: string[];
  /** Listen and dial from this address (default 127.0.0.1). */
  ip?: string;
  /** Run libtorrent's DHT joined through these `ip:port` nodes, announcing every 2 s. */
  dhtNodes?: string[];
  /** Run libtorrent's Local Service Discovery, announcing every `lsdInterval` s (default 2). */
  lsd?: boolean;
  lsdInterval?: number;
  /** Re-announce every N seconds (trackers' own intervals are 30 min). */
  announceInterval?: number;
  /** libtorrent's high_performance_seed() preset (benchmarks). */
  highPerformance?: boolean;
  /** Wrap the command, e.g. `['taskset', '-c', '1']`. */
  prefix?: string[];
}

export interface LibtorrentPeerInfo {
  ip: string;
  port: number;
  client: string;
  progress: number;
  seed: boolean;
  /** Where libtorrent learnt of the peer: 'tracker', 'dht', 'pex', 'lsd' (none: it dialled us). */
  source: string[];
}

/** One status line of libtorrent_peer.py. */
export interface LibtorrentStatus {
  state: string;
  progress: number;
  total_done: number;
  total_wanted: number;
  download_rate: number;
  upload_rate: number;
  num_peers: number;
  num_seeds: number;
  list_seeds: number;
  list_peers: number;
  peers: LibtorrentPeerInfo[];
  error: string;
}

export interface LibtorrentAlert {
  alert: string;
  message: string;
  url?: string;
  num_peers?: number;
}

const PYTHON = '/usr/bin/python3'; // only Debian's interpreter has `import libtorrent`
const SCRIPT = path.join(__dirname, 'libtorrent_peer.py');

export class LibtorrentPeer extends PeerBase {
  readonly client = 'libtorrent' as const;
  /** Every alert reported so far (tracker replies, errors). */
  readonly alerts: LibtorrentAlert[] = [];
  private latest: LibtorrentStatus | undefined;
  private listenPort = 0;

  constructor(
    proc: ManagedProcess,
    readonly dir: string,
  ) {
    super(proc);
    proc.onLine((line) => {
      if (!line.startsWith('{')) return;
      let message: { type?: string } & Record<string, unknown>;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.type === 'status') this.latest = message as unknown as LibtorrentStatus;
      else if (message.type === 'listening') this.listenPort = message.port as number;
      else if (message.type === 'alert') this.alerts.push(message as unknown as LibtorrentAlert);
    });
  }

  get port(): number {
    return this.listenPort;
  }

  /** The full latest status line, with the peer list as libtorrent sees it. */
  get details(): LibtorrentStatus | undefined {
    return this.latest;
  }

  async status(): Promise<PeerStatus> {
    const s = this.latest;
    if (!s) return { progress: 0, peers: 0, state: 'starting', downloadRate: 0, uploadRate: 0 };
    return {
      progress: s.progress,
      peers: s.num_peers,
      state: s.state,
      downloadRate: s.download_rate,
      uploadRate: s.upload_rate,
    };
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}

export async function startLibtorrent(options: LibtorrentOptions): Promise<LibtorrentPeer> {
  if (!options.torrentFile === !options.magnet) {
    throw new Error('startLibtorrent: give exactly one of torrentFile and magnet');
  }
  const config = {
    role: options.role,
    torrent_file: options.torrentFile,
    magnet: options.magnet,
    dir: options.dir,
    trackers: options.trackers ?? [],
    peers: options.peers ?? [],
    high_performance: options.highPerformance ?? false,
    announce_interval: options.announceInterval,
    ...(options.ip && { ip: options.ip }),
    ...(options.dhtNodes && { dht_nodes: options.dhtNodes }),
    ...(options.lsd && { lsd: true }),
    ...(options.lsdInterval && { lsd_interval: options.lsdInterval }),
  };
  const prefix = options.prefix ?? [];
  const argv = [...prefix, PYTHON, SCRIPT, JSON.stringify(config)];
  const proc = new ManagedProcess('libtorrent', argv[0], argv.slice(1));
  const peer = new LibtorrentPeer(proc, options.dir);
  try {
    await waitFor(
      () => {
        if (proc.hasExited) throw new GiveUp('exited');
        return peer.port > 0;
      },
      20_000,
      'libtorrent listening',
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`libtorrent did not start: ${(error as Error).message}\n${proc.tail()}`);
  }
  return peer;
}
