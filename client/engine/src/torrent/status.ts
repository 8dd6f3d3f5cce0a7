import { describePeerId } from '@enjambre/bittorrent';
import type { PeerStatus, TorrentState, TorrentStatus, WebSeedStatus } from '../api';
import type { PeerConnection } from '../peer/connection';
import type { TorrentContent } from './content';
import type { Transfer } from './live';
import type { PeersFound } from './peer-source';

/** What a status snapshot is made of (the torrent's state at this moment). */
export interface StatusParts {
  infoHash: string;
  name?: string;
  state: TorrentState;
  error?: string;
  content?: TorrentContent;
  conns: Iterable<PeerConnection>;
  transfer: Transfer;
  peersFound: PeersFound;
  swarm: { seeders?: number; leechers?: number };
  sequential: boolean;
  paused: boolean;
  downloadDir: string;
  addedAt: number;
  completedAt?: number;
  webSeeds: WebSeedStatus[];
  /** Formatted once per name (Torrent.magnet): formatting it on every status was a third of a listing. */
  magnet: string;
}

export function torrentStatus(s: StatusParts): TorrentStatus {
  const c = s.content;
  const meta = c?.meta;
  const wantedSize = c ? c.wantedSize() : 0;
  const verified = c ? c.wantedVerified : 0;
  const downloadRate = s.transfer.down.rate();
  let seeders = 0;
  let peers = 0;
  for (const p of s.conns) {
    peers++;
    if (p.peerHasAll || p.have?.complete) seeders++;
  }
  const left = wantedSize - verified;
  const { uploaded, downloaded } = s.transfer;
  return {
    infoHash: s.infoHash,
    name: meta?.name ?? s.name ?? s.infoHash,
    state: s.state,
    error: s.error,
    // pad files (BEP 47, a hybrid's v1 part) are no one's data
    size: meta ? meta.files.reduce((n, f) => (f.pad ? n : n + f.length), 0) : 0,
    wantedSize,
    downloaded: verified,
    uploadedTotal: uploaded,
    downloadedTotal: downloaded,
    progress: meta ? (wantedSize === 0 ? 1 : verified / wantedSize) : 0,
    downloadRate,
    uploadRate: s.transfer.up.rate(),
    eta: meta && downloadRate > 0 && left > 0 ? Math.ceil(left / downloadRate) : undefined,
    seeders,
    leechers: peers - seeders,
    peersFound: s.peersFound,
    swarmSeeders: s.swarm.seeders,
    swarmLeechers: s.swarm.leechers,
    ratio: downloaded > 0 ? uploaded / downloaded : 0,
    sequential: s.sequential,
    paused: s.paused,
    pieceLength: meta?.pieceLength ?? 0,
    pieceCount: meta?.pieceCount ?? 0,
    downloadDir: s.downloadDir,
    addedAt: s.addedAt,
    completedAt: s.completedAt,
    magnet: s.magnet,
    webSeeds: s.webSeeds,
  };
}

export function peerStatus(conns: Iterable<PeerConnection>, pieceCount: number): PeerStatus[] {
  const out: PeerStatus[] = [];
  for (const c of conns) {
    if (!c.ready) continue;
    let flags = '';
    if (c.amInterested) flags += c.peerChoking ? 'd' : 'D';
    if (c.peerInterested) flags += c.amChoking ? 'u' : 'U';
    if (c.optimistic) flags += 'O';
    if (c.snubbed) flags += 'S';
    if (c.incoming) flags += 'I';
    if (c.source === 'pex') flags += 'X';
    out.push({
      address: c.address,
      client: c.clientName || (c.remoteId ? describePeerId(c.remoteId) : ''),
      flags,
      progress: c.peerHasAll ? 1 : pieceCount > 0 && c.have ? c.have.cardinality / pieceCount : 0,
      downloadRate: c.down.rate(),
      uploadRate: c.up.rate(),
      downloaded: c.down.total,
      uploaded: c.up.total,
      source: c.source,
    });
  }
  return out;
}
