// A python3-libtorrent DHT node (lt_dht.py) as a test peer.
import path from 'node:path';
import { ManagedProcess } from '../peers/process';
import { GiveUp, waitFor } from '../peers/util';

export interface LtDhtOptions {
  ip: string;
  nodes?: string[];
  announce?: string[];
  getPeers?: string[];
  dir?: string;
  every?: number;
}

export class LtDhtNode {
  port = 0;
  nodes = 0;
  /** Peers its get_peers lookups returned, per info-hash hex. */
  readonly peers = new Map<string, Set<string>>();

  constructor(
    readonly ip: string,
    readonly proc: ManagedProcess,
  ) {
    proc.onLine((line) => {
      let m: { type?: string; port?: number; nodes?: number; info_hash?: string; peers?: string[] };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.type === 'listening') this.port = m.port!;
      else if (m.type === 'dht') this.nodes = m.nodes!;
      else if (m.type === 'peers') {
        let set = this.peers.get(m.info_hash!);
        if (!set) this.peers.set(m.info_hash!, (set = new Set()));
        for (const p of m.peers!) set.add(p);
      }
    });
  }

  get address(): string {
    return `${this.ip}:${this.port}`;
  }

  stop(): Promise<void> {
    return this.proc.stop(3000);
  }
}

export async function startLtDht(o: LtDhtOptions): Promise<LtDhtNode> {
  const cfg = {
    ip: o.ip,
    nodes: o.nodes ?? [],
    announce: o.announce ?? [],
    get_peers: o.getPeers ?? [],
    dir: o.dir ?? '/tmp',
    every: o.every ?? 1,
  };
  const proc = new ManagedProcess(`lt-dht ${o.ip}`, '/usr/bin/python3', [
    path.join(__dirname, 'lt_dht.py'),
    JSON.stringify(cfg),
  ]);
  const node = new LtDhtNode(o.ip, proc);
  await waitFor(
    () => {
      if (proc.hasExited) throw new GiveUp(proc.tail());
      return node.port > 0;
    },
    15000,
    `libtorrent DHT node on ${o.ip}`,
  );
  return node;
}
