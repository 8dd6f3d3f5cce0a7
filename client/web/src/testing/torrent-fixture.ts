import type { TorrentStatus } from '../app/api/types';

/** A plausible TorrentStatus for specs; override what a test is about. */
export function torrent(over: Partial<TorrentStatus> = {}): TorrentStatus {
  return {
    infoHash: 'a'.repeat(40),
    name: 'ubuntu.iso',
    state: 'downloading',
    size: 1000,
    wantedSize: 1000,
    downloaded: 500,
    uploadedTotal: 0,
    downloadedTotal: 500,
    progress: 0.5,
    downloadRate: 100,
    uploadRate: 10,
    eta: 5,
    seeders: 1,
    leechers: 2,
    ratio: 0,
    sequential: false,
    paused: false,
    peersFound: { tracker: 0, dht: 0, lsd: 0, pex: 0, manual: 0 },
    pieceLength: 16384,
    pieceCount: 1,
    downloadDir: '/tmp/dl',
    addedAt: 1,
    magnet: 'magnet:?xt=urn:btih:' + 'a'.repeat(40),
    webSeeds: [],
    ...over,
  };
}
