// The real-client test harness: Debian's BitTorrent programs as peers and trackers.
// See README.md in this folder for the API and each client's quirks.
export { startAria2, Aria2Peer, type Aria2Options, type Aria2PeerInfo } from './aria2';
export {
  startLibtorrent,
  LibtorrentPeer,
  type LibtorrentAlert,
  type LibtorrentOptions,
  type LibtorrentPeerInfo,
  type LibtorrentStatus,
} from './libtorrent';
export { startOpentracker, type Opentracker, type OpentrackerOptions } from './opentracker';
export type { Peer, PeerRole, PeerStatus } from './peer';
export { ManagedProcess, removeLater, stopAll } from './process';
export {
  bdecode,
  httpScrape,
  percentEncode,
  scrape,
  udpScrape,
  waitForSwarm,
  type ScrapeCounts,
} from './scrape';
export { startTransmission, TransmissionPeer, type TransmissionOptions } from './transmission';
export {
  freePort,
  GiveUp,
  infoHashOf,
  magnetOf,
  makeTestData,
  makeTorrent,
  removeDir,
  sha1File,
  tempDir,
  waitFor,
  type MadeTorrent,
  type MakeTorrentOptions,
  type TestFile,
} from './util';
