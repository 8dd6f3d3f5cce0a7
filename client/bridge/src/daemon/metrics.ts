import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionApi, TorrentState } from '@enjambre/engine';

const STATES: TorrentState[] = [
  'metadata',
  'checking',
  'downloading',
  'seeding',
  'paused',
  'error',
];

export interface BridgeMetrics {
  registry: Registry;
  /** Seconds spent hashing a share, with its size, so the hashing rate can be graphed. */
  shareHashSeconds: Histogram;
  shareHashBytes: Counter;
}

/**
 * One registry per daemon (not prom-client's global one), so that two daemons in one process
 * (as in tests) do not clash. Transfer figures are read from the engine when Prometheus scrapes.
 */
export function createMetrics(session: SessionApi): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const statuses = () => session.list().map((t) => t.status());

  new Gauge({
    name: 'enjambre_download_rate_bytes',
    help: 'Download rate of all torrents, bytes per second',
    registers: [registry],
    collect() {
      this.set(statuses().reduce((s, t) => s + t.downloadRate, 0));
    },
  });
  new Gauge({
    name: 'enjambre_upload_rate_bytes',
    help: 'Upload rate of all torrents, bytes per second',
    registers: [registry],
    collect() {
      this.set(statuses().reduce((s, t) => s + t.uploadRate, 0));
    },
  });
  new Gauge({
    name: 'enjambre_downloaded_bytes',
    help: 'Bytes downloaded by the torrents now in the session',
    registers: [registry],
    collect() {
      this.set(statuses().reduce((s, t) => s + t.downloadedTotal, 0));
    },
  });
  new Gauge({
    name: 'enjambre_uploaded_bytes',
    help: 'Bytes uploaded by the torrents now in the session',
    registers: [registry],
    collect() {
      this.set(statuses().reduce((s, t) => s + t.uploadedTotal, 0));
    },
  });
  new Gauge({
    name: 'enjambre_peers',
    help: 'Connected peers',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const all = statuses();
      this.set(
        { kind: 'seeder' },
        all.reduce((s, t) => s + t.seeders, 0),
      );
      this.set(
        { kind: 'leecher' },
        all.reduce((s, t) => s + t.leechers, 0),
      );
    },
  });
  new Gauge({
    name: 'enjambre_torrents',
    help: 'Torrents by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
      for (const t of statuses()) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  const shareHashSeconds = new Histogram({
    name: 'enjambre_share_hash_seconds',
    help: 'Time to hash a shared file or folder into a torrent',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  });
  // The engine keeps running totals; a scrape reports them as counters, so rate() works.
  const ioKinds = [
    ['hash', 'hash'],
    ['disk_read', 'diskRead'],
    ['disk_write', 'diskWrite'],
  ] as const;
  new Counter({
    name: 'enjambre_io_seconds_total',
    help: 'Seconds the engine spent hashing pieces and reading or writing them on disk',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      const stats = session.ioStats();
      this.reset();
      for (const [op, key] of ioKinds) this.inc({ op }, stats[key].seconds);
    },
  });
  new Counter({
    name: 'enjambre_io_bytes_total',
    help: 'Bytes the engine hashed, read from disk and wrote to disk',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      const stats = session.ioStats();
      this.reset();
      for (const [op, key] of ioKinds) this.inc({ op }, stats[key].bytes);
    },
  });
  const shareHashBytes = new Counter({
    name: 'enjambre_share_hashed_bytes_total',
    help: 'Bytes hashed into torrents by shares since the daemon started',
    registers: [registry],
  });
  return { registry, shareHashSeconds, shareHashBytes };
}
