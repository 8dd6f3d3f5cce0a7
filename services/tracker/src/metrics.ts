import { performance } from 'node:perf_hooks';
import { Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

interface SeriesValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}
import type { AnnounceEventName, SwarmStore } from './store/types';

export type Protocol = 'http' | 'udp' | 'grpc';

/** One label combination of a FastHistogram: `observe` is an array increment. */
export class DurationSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** Observes the time since `start` (a `performance.now()` value). */
  since(start: number): void {
    this.observe((performance.now() - start) / 1000);
  }
}

/**
 * A Prometheus histogram for the request hot path: prom-client's Histogram hashes its labels on
 * every observation (about half a microsecond); here each label combination is bound once and
 * an observation is a bucket scan and two additions. Exposed through the same registry, in the
 * same text format.
 */
class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, DurationSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  child(...values: string[]): DurationSeries {
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      series = new DurationSeries(labels, this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: SeriesValue[] } {
    const values: SeriesValue[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: acc });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...s.labels, le: '+Inf' },
        value: s.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: 'histogram' as never,
      aggregator: 'sum',
      values,
    };
  }

  reset(): void {
    this.series.clear();
  }
}

/** One label combination of a FastCounter. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(): void {
    this.value++;
  }
}

/** A Prometheus counter whose label combinations are bound once (see FastHistogram). */
class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, CounterSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  child(...values: string[]): CounterSeries {
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      series = new CounterSeries(labels);
      this.series.set(key, series);
    }
    return series;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: SeriesValue[] } {
    const values: SeriesValue[] = [];
    for (const s of this.series.values())
      values.push({ metricName: this.name, labels: s.labels, value: s.value });
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }

  reset(): void {
    for (const s of this.series.values()) s.value = 0;
  }
}

/**
 * The tracker's Prometheus metrics (names are a contract with the Grafana dashboard; see
 * METRICS.md). One registry per tracker, so several trackers can live in one process (tests, the
 * bridge's embedded tracker). Hot-path children are bound once: a request costs a counter
 * increment and one histogram observation.
 */
export class TrackerMetrics {
  readonly registry = new Registry();
  private readonly announces: FastCounter;
  private readonly scrapes: FastCounter;
  private readonly errors: FastCounter;
  private readonly requestDuration: FastHistogram;
  readonly persistenceDuration: Histogram<'op'>;
  private readonly announceSeries = {} as Record<
    Protocol,
    Record<AnnounceEventName, CounterSeries>
  >;
  private readonly scrapeSeries = {} as Record<Protocol, CounterSeries>;
  /** Requests UDP worker processes forwarded to this process's store. */
  readonly udpForwarded: CounterSeries;
  private readonly refusals: FastCounter;
  private readonly rateLimitedSeries = {} as Record<Protocol, CounterSeries>;

  constructor(store: SwarmStore, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.announces = new FastCounter(
      'enjambre_tracker_announces_total',
      'Announces answered, by front end and event',
      ['protocol', 'event'],
      this.registry,
    );
    this.scrapes = new FastCounter(
      'enjambre_tracker_scrapes_total',
      'Scrapes answered, by front end',
      ['protocol'],
      this.registry,
    );
    this.errors = new FastCounter(
      'enjambre_tracker_errors_total',
      'Requests refused or failed, by front end and reason',
      ['protocol', 'reason'],
      this.registry,
    );
    this.requestDuration = new FastHistogram(
      'enjambre_tracker_request_duration_seconds',
      'Time from a received request to its encoded answer, by front end and method',
      ['protocol', 'method'],
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      this.registry,
    );
    this.udpForwarded = new FastCounter(
      'enjambre_tracker_udp_forwarded_total',
      'UDP requests read by a worker process and answered from this process (--workers)',
      [],
      this.registry,
    ).child();
    this.refusals = new FastCounter(
      'enjambre_tracker_refused_total',
      'Requests and connections refused by a per-address limit, by front end and reason',
      ['protocol', 'reason'],
      this.registry,
    );
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
      const byEvent = {} as Record<AnnounceEventName, CounterSeries>;
      for (const event of ['started', 'stopped', 'completed', 'none'] as const) {
        byEvent[event] = this.announces.child(protocol, event);
      }
      this.announceSeries[protocol] = byEvent;
      this.scrapeSeries[protocol] = this.scrapes.child(protocol);
      this.rateLimitedSeries[protocol] = this.refusals.child(protocol, 'rate_limited');
    }
  }

  /** An announce or publish refused by the per-address token bucket. */
  rateLimited(protocol: Protocol): void {
    this.rateLimitedSeries[protocol].value++;
  }

  /** Something refused by another per-address limit (connection cap, head deadline). */
  refused(protocol: Protocol, reason: string): void {
    this.refusals.child(protocol, reason).value++;
  }

  announce(protocol: Protocol, event: AnnounceEventName): void {
    this.announceSeries[protocol][event].value++;
  }

  scrape(protocol: Protocol): void {
    this.scrapeSeries[protocol].value++;
  }

  error(protocol: Protocol, reason: string): void {
    this.errors.child(protocol, reason).value++;
  }

  /** The request-duration series of one front end and method (bind it once, then call
   * `series.since(performance.now() at the start)`). */
  duration(protocol: Protocol, method: string): DurationSeries {
    return this.requestDuration.child(protocol, method);
  }

  /** Starts a timer; call the result when the answer is encoded. */
  timer(protocol: Protocol, method: string): () => void {
    const series = this.requestDuration.child(protocol, method);
    const start = performance.now();
    return () => series.since(start);
  }
}
