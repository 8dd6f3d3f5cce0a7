import type { FilePriority, TrackerStatus } from '@enjambre/engine';
import { TorrentView, unixSeconds } from './torrent-view';
import { effectiveLimits, type RateLimitFields } from '../daemon/state';

/** qBittorrent's "infinite" ETA (100 days), and its "never" for dates. */
export const QB_ETA_INFINITY = 8_640_000;

/** qBittorrent 5's torrent states, from the engine's. */
export function qbState(v: TorrentView): string {
  const s = v.status;
  const up = v.complete;
  switch (s.state) {
    case 'error':
      return 'error';
    case 'paused':
      return up ? 'stoppedUP' : 'stoppedDL';
    case 'checking':
      return up ? 'checkingUP' : 'checkingDL';
    case 'metadata':
      return 'metaDL';
    case 'downloading':
      return s.downloadRate > 0 ? 'downloading' : 'stalledDL';
    case 'seeding':
      return s.uploadRate > 0 ? 'uploading' : 'stalledUP';
    default:
      return 'unknown';
  }
}

/** qBittorrent file priorities: 0 skip, 1 normal, 6 high, 7 maximal. */
export function qbPriority(p: FilePriority): number {
  return p === 2 ? 6 : p;
}

export function fromQbPriority(p: number): FilePriority | undefined {
  if (p === 0) return 0;
  if (p === 1) return 1;
  if (p === 6 || p === 7) return 2;
  return undefined;
}

function eta(v: TorrentView): number {
  const s = v.status;
  if (v.complete || (s.state !== 'downloading' && s.state !== 'metadata')) return QB_ETA_INFINITY;
  return s.eta === undefined || !Number.isFinite(s.eta)
    ? QB_ETA_INFINITY
    : Math.min(QB_ETA_INFINITY, Math.round(s.eta));
}

function firstWorkingTracker(trackers: TrackerStatus[]): string {
  return trackers.find((t) => t.status === 'working')?.url ?? '';
}

/** One entry of `torrents/info` and of `sync/maindata`'s torrents, every field qBittorrent 5.1 has. */
export function qbTorrentInfo(v: TorrentView, now: number): Record<string, unknown> {
  const s = v.status;
  const record = v.record;
  const seconds = Math.max(0, now - unixSeconds(s.addedAt));
  const completedOn = unixSeconds(s.completedAt);
  const trackers = v.trackers;
  const ratioLimit = record?.seedRatioLimit;
  return {
    added_on: unixSeconds(s.addedAt),
    amount_left: v.left,
    auto_tmm: false,
    availability: s.seeders > 0 ? 1 : s.state === 'seeding' ? -1 : 0,
    category: record?.category ?? '',
    comment: v.meta.comment,
    completed: s.downloaded,
    completion_on: completedOn || -1,
    content_path: v.contentPath,
    dl_limit: qbLimit(v.record, 'download'),
    dlspeed: Math.round(s.downloadRate),
    download_path: '',
    downloaded: Math.round(s.downloadedTotal),
    downloaded_session: Math.round(s.downloadedTotal),
    eta: eta(v),
    f_l_piece_prio: false,
    force_start: false,
    has_metadata: s.state !== 'metadata',
    hash: v.infoHash,
    inactive_seeding_time_limit: -2,
    infohash_v1: v.infoHash,
    infohash_v2: v.meta.infoHashV2 ?? '',
    last_activity:
      s.downloadRate + s.uploadRate > 0 ? now : Math.max(unixSeconds(s.addedAt), completedOn),
    magnet_uri: s.magnet,
    max_inactive_seeding_time: -1,
    max_ratio: ratioLimit ?? -1,
    max_seeding_time: -1,
    name: s.name || v.infoHash,
    num_complete: s.swarmSeeders ?? 0,
    num_incomplete: s.swarmLeechers ?? 0,
    num_leechs: s.leechers,
    num_seeds: s.seeders,
    popularity: 0,
    priority: v.position + 1,
    private: v.meta.private,
    progress: s.progress,
    ratio: Number.isFinite(s.ratio) ? s.ratio : 9999,
    ratio_limit: ratioLimit ?? -2,
    reannounce: Math.max(0, Math.round(((trackers[0]?.nextAnnounce ?? 0) - now * 1000) / 1000)),
    root_path: v.meta.multiFile ? v.contentPath : '',
    save_path: s.downloadDir,
    seeding_time: s.state === 'seeding' && completedOn ? Math.max(0, now - completedOn) : 0,
    seeding_time_limit: -2,
    seen_complete: completedOn,
    seq_dl: s.sequential,
    size: s.wantedSize,
    state: qbState(v),
    super_seeding: v.torrent.superSeeding(),
    tags: (record?.tags ?? []).join(', '),
    time_active: seconds,
    total_size: s.size,
    tracker: firstWorkingTracker(trackers),
    trackers_count: trackers.length,
    up_limit: qbLimit(v.record, 'upload'),
    uploaded: Math.round(s.uploadedTotal),
    uploaded_session: Math.round(s.uploadedTotal),
    upspeed: Math.round(s.uploadRate),
  };
}

export function qbProperties(v: TorrentView, now: number): Record<string, unknown> {
  const s = v.status;
  const elapsed = Math.max(0, now - unixSeconds(s.addedAt));
  const have = v.torrent.bitfield();
  let piecesHave = 0;
  for (const byte of have) piecesHave += popcount(byte);
  return {
    addition_date: unixSeconds(s.addedAt),
    comment: v.meta.comment,
    completion_date: unixSeconds(s.completedAt) || -1,
    created_by: v.meta.createdBy,
    creation_date: v.meta.creationDate || -1,
    dl_limit: qbLimit(v.record, 'download'),
    dl_speed: Math.round(s.downloadRate),
    dl_speed_avg: elapsed > 0 ? Math.round(s.downloadedTotal / elapsed) : 0,
    download_path: '',
    eta: eta(v),
    has_metadata: s.state !== 'metadata',
    hash: v.infoHash,
    infohash_v1: v.infoHash,
    infohash_v2: v.meta.infoHashV2 ?? '',
    is_private: v.meta.private,
    isPrivate: v.meta.private,
    last_seen: unixSeconds(s.completedAt) || -1,
    name: s.name || v.infoHash,
    nb_connections: s.seeders + s.leechers,
    nb_connections_limit: 50,
    peers: s.leechers,
    peers_total: s.swarmLeechers ?? 0,
    piece_size: s.pieceLength,
    pieces_have: piecesHave,
    pieces_num: s.pieceCount,
    popularity: 0,
    reannounce: 0,
    save_path: s.downloadDir,
    seeding_time: unixSeconds(s.completedAt) ? Math.max(0, now - unixSeconds(s.completedAt)) : 0,
    seeds: s.seeders,
    seeds_total: s.swarmSeeders ?? 0,
    share_ratio: Number.isFinite(s.ratio) ? s.ratio : 9999,
    super_seeding: v.torrent.superSeeding(),
    time_elapsed: elapsed,
    total_downloaded: Math.round(s.downloadedTotal),
    total_downloaded_session: Math.round(s.downloadedTotal),
    total_size: s.size,
    total_uploaded: Math.round(s.uploadedTotal),
    total_uploaded_session: Math.round(s.uploadedTotal),
    total_wasted: 0,
    up_limit: qbLimit(v.record, 'upload'),
    up_speed: Math.round(s.uploadRate),
    up_speed_avg: elapsed > 0 ? Math.round(s.uploadedTotal / elapsed) : 0,
  };
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x; x &= x - 1) n++;
  return n;
}

export function qbFiles(v: TorrentView): object[] {
  const pieceLength = v.status.pieceLength || 1;
  let offset = 0;
  return v.files.map((f) => {
    const first = Math.floor(offset / pieceLength);
    const last = Math.max(first, Math.floor((offset + Math.max(f.length, 1) - 1) / pieceLength));
    offset += f.length;
    return {
      availability: v.status.seeders > 0 ? 1 : 0,
      index: f.index,
      is_seed: f.length > 0 && f.downloaded >= f.length,
      name: v.meta.multiFile ? `${v.status.name}/${f.path}` : f.path,
      piece_range: [first, last],
      priority: qbPriority(f.priority),
      progress: f.length > 0 ? f.downloaded / f.length : 1,
      size: f.length,
    };
  });
}

/** qBittorrent's tracker status: 0 disabled, 1 not contacted, 2 working, 3 updating, 4 not working. */
function trackerStatus(t: TrackerStatus): number {
  if (t.status === 'working') return 2;
  if (t.status === 'announcing') return 3;
  if (t.status === 'error') return 4;
  return 1;
}

export function qbTrackers(v: TorrentView): object[] {
  const pseudo = (url: string) => ({
    msg: '',
    num_downloaded: 0,
    num_leeches: 0,
    num_peers: 0,
    num_seeds: 0,
    status: v.meta.private ? 0 : 2,
    tier: -1,
    url,
  });
  return [
    pseudo('** [DHT] **'),
    pseudo('** [PeX] **'),
    pseudo('** [LSD] **'),
    ...v.trackers.map((t) => ({
      msg: t.message ?? '',
      num_downloaded: -1,
      num_leeches: t.leechers ?? -1,
      num_peers: t.peers ?? -1,
      num_seeds: t.seeders ?? -1,
      status: trackerStatus(t),
      tier: t.tier,
      url: t.url,
    })),
  ];
}

export function qbPeers(v: TorrentView): Record<string, object> {
  const out: Record<string, object> = {};
  for (const p of v.peers) {
    const m = /^\[?(.*?)\]?:(\d+)$/.exec(p.address);
    out[p.address] = {
      client: p.client,
      connection: 'BT',
      country: '',
      country_code: '',
      dl_speed: Math.round(p.downloadRate),
      downloaded: p.downloaded,
      files: '',
      flags: p.flags.split('').join(' '),
      flags_desc: '',
      ip: m ? m[1] : p.address,
      peer_id_client: p.client,
      port: m ? Number(m[2]) : 0,
      progress: p.progress,
      relevance: 0,
      up_speed: Math.round(p.uploadRate),
      uploaded: p.uploaded,
    };
  }
  return out;
}

/** A torrent's own limit as qBittorrent reports it: bytes per second, -1 for none. */
export function qbLimit(record: RateLimitFields | undefined, dirn: 'upload' | 'download'): number {
  const limit = record ? effectiveLimits(record)[dirn] : 0;
  return limit > 0 ? limit : -1;
}
