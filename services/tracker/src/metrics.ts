import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnnounceEventName, SwarmStore } from './store/types';

export type Protocol = 'http' | 'udp' | 'grpc';

/**
 * The tracker's Prometheus metrics (names are a contract with the Grafana dashboard; see
 * METRICS.md). One registry per tracker, so several trackers can live in one process (tests, the
 * bridge's embedded tracker). Hot-path children are bound once: a request costs a counter
 * increment and one histogram observation.
 */
export class TrackerMetrics {
  readonly registry = new Registry();
  private readonly announces: Counter<'protocol' | 'event'>;
  private readonly scrapes: Counter<'protocol'>;
  private readonly errors: Counter<'protocol' | 'reason'>;
  readonly requestDuration: Histogram<'protocol' | 'method'>;
  readonly persistenceDuration: Histogram<'op'>;
  private readonly announceChildren = new Map<string, { inc(): void }>();

  constructor(store: SwarmStore, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.announces = new Counter({
      name: 'enjambre_tracker_announces_total',
      help: 'Announces answered, by front end and event',
      labelNames: ['protocol', 'event'],
      registers,
    });
    this.scrapes = new Counter({
      name: 'enjambre_tracker_scrapes_total',
      help: 'Scrapes answered, by front end',
      labelNames: ['protocol'],
      registers,
    });
    this.errors = new Counter({
      name: 'enjambre_tracker_errors_total',
      help: 'Requests refused or failed, by front end and reason',
      labelNames: ['protocol', 'reason'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'enjambre_tracker_request_duration_seconds',
      help: 'Time from a parsed request to its encoded answer, by front end and method',
      labelNames: ['protocol', 'method'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers,
    });
    this.persistenceDuration = new Histogram({
      name: 'enjambre_tracker_persistence_duration_seconds',
      help: 'Duration of saving the state to and loading it from LevelDB',
      labelNames: ['op'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge('enjambre_tracker_torrents', 'Swarms in the store', () => store.stats().torrents);
    gauge('enjambre_tracker_seeders', 'Seeders in all swarms', () => store.stats().seeders);
    gauge('enjambre_tracker_leechers', 'Leechers in all swarms', () => store.stats().leechers);
    gauge(
      'enjambre_tracker_catalog_torrents',
      'Published torrents in the catalog',
      () => store.stats().catalogTorrents,
    );
    for (const protocol of ['http', 'udp', 'grpc'] as const) {
      for (const event of ['started', 'stopped', 'completed', 'none'] as const) {
        this.announceChildren.set(protocol + event, this.announces.labels(protocol, event));
      }
      this.scrapes.labels(protocol);
    }
  }

  announce(protocol: Protocol, event: AnnounceEventName): void {
    this.announceChildren.get(protocol + event)?.inc();
  }

  scrape(protocol: Protocol): void {
    this.scrapes.labels(protocol).inc();
  }

  error(protocol: Protocol, reason: string): void {
    this.errors.labels(protocol, reason).inc();
  }

  /** Starts a timer; call the result when the answer is encoded. */
  timer(protocol: Protocol, method: string): () => void {
    const child = this.requestDuration.labels(protocol, method);
    const start = process.hrtime.bigint();
    return () => child.observe(Number(process.hrtime.bigint() - start) / 1e9);
  }
}
