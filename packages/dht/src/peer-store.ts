/**
 * The peers other nodes announced to us (announce_peer), answered to get_peers and sampled for
 * BEP 51. Bounded: torrents, peers per torrent, and a lifetime after which an announce expires.
 * Maps keep insertion order, and an entry is re-inserted when refreshed, so the first entry is
 * always the stalest: eviction is O(1).
 */
import type { PeerAddress } from '@enjambre/bittorrent';

export const PEER_TTL_MS = 30 * 60_000;

export interface PeerStoreOptions {
  maxTorrents?: number;
  maxPeersPerTorrent?: number;
  ttlMs?: number;
}

interface Stored {
  ip: string;
  port: number;
  expires: number;
}

export class PeerStore {
  private readonly torrents = new Map<string, Map<string, Stored>>();
  readonly maxTorrents: number;
  readonly maxPeersPerTorrent: number;
  private readonly ttlMs: number;
  private peerCount = 0;

  constructor(options: PeerStoreOptions = {}) {
    this.maxTorrents = options.maxTorrents ?? 2000;
    this.maxPeersPerTorrent = options.maxPeersPerTorrent ?? 200;
    this.ttlMs = options.ttlMs ?? PEER_TTL_MS;
  }

  get torrentCount(): number {
    return this.torrents.size;
  }

  get size(): number {
    return this.peerCount;
  }

  add(infoHash: Uint8Array, peer: PeerAddress, now: number): void {
    const key = Buffer.from(infoHash).toString('hex');
    let peers = this.torrents.get(key);
    if (peers) {
      this.torrents.delete(key);
    } else {
      if (this.torrents.size >= this.maxTorrents) {
        const [oldest, gone] = this.torrents.entries().next().value as [
          string,
          Map<string, Stored>,
        ];
        this.peerCount -= gone.size;
        this.torrents.delete(oldest);
      }
      peers = new Map();
    }
    this.torrents.set(key, peers);
    const pk = `${peer.ip}|${peer.port}`;
    if (peers.delete(pk)) this.peerCount--;
    if (peers.size >= this.maxPeersPerTorrent) {
      peers.delete(peers.keys().next().value as string);
      this.peerCount--;
    }
    peers.set(pk, { ip: peer.ip, port: peer.port, expires: now + this.ttlMs });
    this.peerCount++;
  }

  /** Up to `max` live peers of a torrent of one address family, a random pick when there are more. */
  get(infoHash: Uint8Array, max: number, now: number, family: 4 | 6 = 4): PeerAddress[] {
    const key = Buffer.from(infoHash).toString('hex');
    const peers = this.torrents.get(key);
    if (!peers) return [];
    const live: PeerAddress[] = [];
    for (const [pk, p] of peers) {
      if (p.expires <= now) {
        peers.delete(pk);
        this.peerCount--;
      } else if (p.ip.includes(':') === (family === 6)) live.push({ ip: p.ip, port: p.port });
    }
    if (peers.size === 0) this.torrents.delete(key);
    for (let i = live.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [live[i], live[j]] = [live[j], live[i]];
    }
    return live.slice(0, max);
  }

  /** Up to `max` random info-hashes we hold peers for (BEP 51). */
  sample(max: number): Buffer[] {
    const keys = [...this.torrents.keys()];
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    return keys.slice(0, max).map((k) => Buffer.from(k, 'hex'));
  }

  /** Drops every expired announce. */
  purge(now: number): void {
    for (const [key, peers] of this.torrents) {
      for (const [pk, p] of peers) {
        if (p.expires <= now) {
          peers.delete(pk);
          this.peerCount--;
        }
      }
      if (peers.size === 0) this.torrents.delete(key);
    }
  }
}
