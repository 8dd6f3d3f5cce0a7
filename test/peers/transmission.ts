// transmission-cli (Debian, Transmission 3.00) as a peer. It has no machine-readable output and
// no RPC, so status comes from its once-a-second progress line; everything the command line
// cannot set (DHT, LPD, uTP, PEX, bind address, seeding limits) goes into settings.json of a
// private config dir.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PeerBase, type PeerRole, type PeerStatus } from './peer';
import { ManagedProcess, removeLater } from './process';
import { freePort, removeDir, tempDir } from './util';

export interface TransmissionOptions {
  role: PeerRole;
  torrentFile: string;
  /** Download folder; a seeder's data must already be there (Transmission verifies it on start). */
  dir: string;
  port?: number;
  /** Peer exchange (BEP 11) on or off; off by default so only trackers introduce peers. */
  pex?: boolean;
  /**
   * IPv4 address it listens on and dials from; default 127.0.0.1. Another address is for a
   * Transmission run inside a network namespace (`prefix: ['ip', 'netns', 'exec', ns]`).
   */
  bindAddress?: string;
  prefix?: string[];
}

const PROGRESS =
  /^Progress: ([\d.]+)%, dl from (\d+) of (\d+) peers \(([^)]*)\), ul to (\d+) \(([^)]*)\)/;
const SEEDING = /^Seeding, uploading to (\d+) of (\d+) peer\(s\), ([^[]*?) \[/;
const VERIFYING = /^Verifying local files \(([\d.]+)%/;

export class TransmissionPeer extends PeerBase {
  readonly client = 'transmission' as const;
  private latest: PeerStatus = {
    progress: 0,
    peers: 0,
    state: 'starting',
    downloadRate: 0,
    uploadRate: 0,
  };

  constructor(
    proc: ManagedProcess,
    readonly port: number,
    readonly dir: string,
    private readonly configDir: string,
  ) {
    super(proc);
    proc.onLine((line) => this.parse(line.trim()));
  }

  async status(): Promise<PeerStatus> {
    return { ...this.latest };
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    await removeDir(this.configDir);
  }

  private parse(line: string): void {
    let m = PROGRESS.exec(line);
    if (m) {
      this.latest = {
        // Only the switch to "Seeding" means flushed and complete; 100.0% alone can come first.
        progress: Math.min(Number(m[1]) / 100, 0.999),
        peers: Number(m[3]),
        state: 'downloading',
        downloadRate: parseRate(m[4]),
        uploadRate: parseRate(m[6]),
      };
      return;
    }
    m = SEEDING.exec(line);
    if (m) {
      this.latest = {
        progress: 1,
        peers: Number(m[2]),
        state: 'seeding',
        downloadRate: 0,
        uploadRate: parseRate(m[3]),
      };
      return;
    }
    m = VERIFYING.exec(line);
    if (m) this.latest = { ...this.latest, state: 'checking' };
  }
}

/** "1.2 MB/s", "512 kB/s", "None" → bytes per second (Transmission's units are powers of 1000). */
function parseRate(text: string): number {
  const m = /([\d.]+)\s*(k|M|G)?B\/s/.exec(text);
  if (!m) return 0;
  const unit = m[2] === 'G' ? 1e9 : m[2] === 'M' ? 1e6 : m[2] === 'k' ? 1e3 : 1;
  return Number(m[1]) * unit;
}

export async function startTransmission(options: TransmissionOptions): Promise<TransmissionPeer> {
  const port = options.port ?? (await freePort());
  const configDir = await tempDir('transmission');
  removeLater(configDir);
  const settings = {
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': options.pex ?? false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'bind-address-ipv4': options.bindAddress ?? '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': port,
    'peer-port-random-on-start': false,
    // 0 = tolerated: plain connections preferred, encrypted accepted.
    encryption: 0,
    // Seed for ever: the test decides when to stop.
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'speed-limit-up-enabled': false,
    'speed-limit-down-enabled': false,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'rpc-enabled': false,
    // Files keep their final names while downloading (no ".part" suffix).
    'rename-partial-files': false,
    'message-level': 2,
  };
  await fs.writeFile(path.join(configDir, 'settings.json'), JSON.stringify(settings, null, 2));
  const argv = [
    ...(options.prefix ?? []),
    // transmission-cli writes its progress line with stdio buffering: unbuffer it so that the
    // status we parse is current, not minutes old.
    'stdbuf',
    '-o0',
    'transmission-cli',
    '-g',
    configDir,
    '-w',
    options.dir,
    '-p',
    String(port),
    '-M', // no NAT-PMP/UPnP
    '-et', // encryption tolerated
    '-D',
    '-U',
    options.torrentFile,
  ];
  const proc = new ManagedProcess('transmission', argv[0], argv.slice(1), { cwd: configDir });
  return new TransmissionPeer(proc, port, options.dir, configDir);
}
