import type { FilePriority, TorrentStatus, TrackerStatus } from '@enjambre/engine';
import { TorrentView, unixSeconds } from './torrent-view';

/** Transmission's tr_torrent_activity. */
export const TR_STATUS = {
  stopped: 0,
  checkWait: 1,
  check: 2,
  downloadWait: 3,
  download: 4,
  seedWait: 5,
  seed: 6,
} as const;

/** tr_eta special values. */
const ETA_NOT_AVAILABLE = -1;
const ETA_UNKNOWN = -2;

export function trStatus(s: TorrentStatus): number {
  switch (s.state) {
    case 'checking':
      return TR_STATUS.check;
    case 'metadata':
    case 'downloading':
      return TR_STATUS.download;
    case 'seeding':
      return TR_STATUS.seed;
    default:
      return TR_STATUS.stopped;
  }
}

/** Transmission's priorities: -1 low, 0 normal, 1 high; enjambre has no low. */
export function trPriority(p: FilePriority): number {
  return p === 2 ? 1 : 0;
}

function eta(v: TorrentView): number {
  const s = v.status;
  if (s.state !== 'downloading' && s.state !== 'metadata') return ETA_NOT_AVAILABLE;
  if (v.complete) return ETA_NOT_AVAILABLE;
  return s.eta === undefined || !Number.isFinite(s.eta) ? ETA_UNKNOWN : Math.round(s.eta);
}

function fileName(v: TorrentView, path: string): string {
  return v.meta.multiFile ? `${v.status.name}/${path}` : path;
}

const hosts = new Map<string, string>();
const MAX_HOSTS = 4096;

/** Parsed once per URL: every torrent-get of trackerStats asks for each torrent's trackers. */
function host(url: string): string {
  let h = hosts.get(url);
  if (h === undefined) {
    try {
      const u = new URL(url);
      h = `${u.protocol}//${u.host}`;
    } catch {
      h = url;
    }
    if (hosts.size >= MAX_HOSTS) hosts.clear();
    hosts.set(url, h);
  }
  return h;
}

/** tr_tracker_state: 0 inactive, 1 waiting, 2 queued, 3 active. */
function announceState(t: TrackerStatus): number {
  if (t.status === 'announcing') return 3;
  return t.nextAnnounce ? 1 : 0;
}

function trackerStats(v: TorrentView): object[] {
  return v.trackers.map((t, i) => {
    const announced = t.lastAnnounce !== undefined;
    return {
      announce: t.url,
      announceState: announceState(t),
      downloadCount: -1,
      hasAnnounced: announced,
      hasScraped: false,
      host: host(t.url),
      id: i,
      isBackup: false,
      lastAnnouncePeerCount: t.peers ?? 0,
      lastAnnounceResult:
        t.status === 'error' ? (t.message ?? 'error') : announced ? 'Success' : '',
      lastAnnounceStartTime: unixSeconds(t.lastAnnounce),
      lastAnnounceSucceeded: t.status === 'working',
      lastAnnounceTime: unixSeconds(t.lastAnnounce),
      lastAnnounceTimedOut: false,
      lastScrapeResult: '',
      lastScrapeStartTime: 0,
      lastScrapeSucceeded: false,
      lastScrapeTime: 0,
      lastScrapeTimedOut: false,
      leecherCount: t.leechers ?? -1,
      nextAnnounceTime: unixSeconds(t.nextAnnounce),
      nextScrapeTime: 0,
      scrape: '',
      scrapeState: 0,
      seederCount: t.seeders ?? -1,
      tier: t.tier,
    };
  });
}

function peerList(v: TorrentView): object[] {
  return v.peers.map((p) => {
    const m = /^\[?(.*?)\]?:(\d+)$/.exec(p.address);
    return {
      address: m ? m[1] : p.address,
      clientName: p.client,
      clientIsChoked: !p.flags.includes('U'),
      clientIsInterested: /[Dd]/.test(p.flags),
      flagStr: p.flags,
      isDownloadingFrom: p.downloadRate > 0,
      isEncrypted: p.flags.includes('E'),
      isIncoming: p.source === 'incoming',
      isUTP: false,
      isUploadingTo: p.uploadRate > 0,
      peerIsChoked: !p.flags.includes('D'),
      peerIsInterested: /[Uu]/.test(p.flags),
      port: m ? Number(m[2]) : 0,
      progress: p.progress,
      rateToClient: Math.round(p.downloadRate),
      rateToPeer: Math.round(p.uploadRate),
    };
  });
}

function peersFrom(v: TorrentView): Record<string, number> {
  const from = {
    fromCache: 0,
    fromDht: 0,
    fromIncoming: 0,
    fromLpd: 0,
    fromLtep: 0,
    fromPex: 0,
    fromTracker: 0,
  };
  for (const p of v.peers) {
    if (p.source === 'dht') from.fromDht++;
    else if (p.source === 'incoming') from.fromIncoming++;
    else if (p.source === 'lsd') from.fromLpd++;
    else if (p.source === 'pex') from.fromPex++;
    else if (p.source === 'tracker') from.fromTracker++;
    else from.fromCache++;
  }
  return from;
}

type Field = (v: TorrentView, nowSeconds: number) => unknown;

/**
 * Every torrent-get field of rpc-version 17 (Transmission 3.00), with Transmission's types:
 * integers are JSON integers (transmission-remote drops a row whose integer fields are not),
 * dates are Unix seconds with 0 for never, booleans are booleans, `wanted` is 0/1 as in 3.00.
 */
export const TORRENT_FIELDS: Record<string, Field> = {
  activityDate: (v, now) =>
    v.status.downloadRate + v.status.uploadRate > 0
      ? now
      : Math.max(unixSeconds(v.status.addedAt), unixSeconds(v.status.completedAt)),
  addedDate: (v) => unixSeconds(v.status.addedAt),
  bandwidthPriority: () => 0,
  comment: (v) => v.meta.comment,
  corruptEver: () => 0,
  creator: (v) => v.meta.createdBy,
  dateCreated: (v) => v.meta.creationDate,
  desiredAvailable: (v) => (v.status.seeders > 0 ? v.left : 0),
  doneDate: (v) => unixSeconds(v.status.completedAt),
  downloadDir: (v) => v.status.downloadDir,
  downloadedEver: (v) => Math.round(v.status.downloadedTotal),
  downloadLimit: (v) => Math.round((v.record?.downloadLimit ?? 0) / 1000),
  downloadLimited: (v) => v.record?.downloadLimited === true,
  editDate: () => 0,
  error: (v) => (v.status.state === 'error' ? 3 : 0),
  errorString: (v) => (v.status.state === 'error' ? (v.status.error ?? 'error') : ''),
  eta: (v) => eta(v),
  etaIdle: () => ETA_NOT_AVAILABLE,
  'file-count': (v) => v.files.length,
  files: (v) =>
    v.files.map((f) => ({
      bytesCompleted: f.downloaded,
      length: f.length,
      name: fileName(v, f.path),
    })),
  fileStats: (v) =>
    v.files.map((f) => ({
      bytesCompleted: f.downloaded,
      wanted: f.priority !== 0,
      priority: trPriority(f.priority),
    })),
  hashString: (v) => v.infoHash,
  haveUnchecked: () => 0,
  haveValid: (v) => v.status.downloaded,
  honorsSessionLimits: () => true,
  id: (v) => v.id,
  isFinished: (v) => v.finished,
  isPrivate: (v) => v.meta.private,
  isStalled: (v) =>
    (v.status.state === 'downloading' && v.status.downloadRate === 0) ||
    (v.status.state === 'seeding' && v.status.uploadRate === 0),
  labels: (v) => v.record?.tags ?? [],
  leftUntilDone: (v) => v.left,
  magnetLink: (v) => v.status.magnet,
  manualAnnounceTime: () => -1,
  maxConnectedPeers: () => 50,
  metadataPercentComplete: (v) => (v.status.state === 'metadata' ? 0 : 1),
  name: (v) => v.status.name || v.infoHash,
  'peer-limit': () => 50,
  peers: (v) => peerList(v),
  peersConnected: (v) => v.status.seeders + v.status.leechers,
  peersFrom: (v) => peersFrom(v),
  peersGettingFromUs: (v) =>
    v.status.uploadRate > 0 ? v.peers.filter((p) => p.uploadRate > 0).length : 0,
  peersSendingToUs: (v) =>
    v.status.downloadRate > 0 ? v.peers.filter((p) => p.downloadRate > 0).length : 0,
  percentDone: (v) => v.status.progress,
  pieces: (v) => Buffer.from(v.torrent.bitfield()).toString('base64'),
  pieceCount: (v) => v.status.pieceCount,
  pieceSize: (v) => v.status.pieceLength,
  priorities: (v) => v.files.map((f) => trPriority(f.priority)),
  'primary-mime-type': () => 'application/octet-stream',
  queuePosition: (v) => v.position,
  rateDownload: (v) => Math.round(v.status.downloadRate),
  rateUpload: (v) => Math.round(v.status.uploadRate),
  recheckProgress: (v) => (v.status.state === 'checking' ? v.status.progress : 0),
  // since it was added or completed: the engine does not keep time paused apart
  secondsDownloading: (v, now) => {
    const done = unixSeconds(v.status.completedAt);
    return Math.max(0, (done || now) - unixSeconds(v.status.addedAt));
  },
  secondsSeeding: (v, now) => {
    const done = unixSeconds(v.status.completedAt);
    return done ? Math.max(0, now - done) : 0;
  },
  seedIdleLimit: () => 30,
  seedIdleMode: () => 0,
  seedRatioLimit: (v) => v.record?.seedRatioLimit ?? 2,
  seedRatioMode: (v) => (v.record?.seedRatioLimit === undefined ? 2 : 1),
  sizeWhenDone: (v) => v.status.wantedSize,
  startDate: (v) => unixSeconds(v.status.addedAt),
  status: (v) => trStatus(v.status),
  trackers: (v) => v.trackers.map((t, i) => ({ announce: t.url, id: i, scrape: '', tier: t.tier })),
  trackerStats: (v) => trackerStats(v),
  totalSize: (v) => v.status.size,
  torrentFile: () => '',
  uploadedEver: (v) => Math.round(v.status.uploadedTotal),
  uploadLimit: (v) => Math.round((v.record?.uploadLimit ?? 0) / 1000),
  uploadLimited: (v) => v.record?.uploadLimited === true,
  // -2 is Transmission's "infinite" ratio.
  uploadRatio: (v) => (Number.isFinite(v.status.ratio) ? v.status.ratio : -2),
  wanted: (v) => v.files.map((f) => (f.priority === 0 ? 0 : 1)),
  webseeds: (v) => v.meta.webSeeds,
  webseedsSendingToUs: (v) => v.status.webSeeds.filter((w) => w.downloadRate > 0).length,
};
