/** Prometheus metrics of replication (names are part of the dashboard and alert contract). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type FailureReason =
  | 'connect'
  | 'auth'
  | 'replayed'
  | 'bad-mac'
  | 'malformed'
  | 'overflow'
  | 'store-full'
  | 'stream'
  | 'busy';

export class ReplicationMetrics {
  readonly known: Gauge;
  readonly live: Gauge;
  readonly linkUp: Gauge<'peer'>;
  readonly messages: Counter<'direction'>;
  readonly bytes: Counter<'direction'>;
  readonly failures: Counter<'reason'>;
  readonly lag: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.known = new Gauge({
      name: 'enjambre_tracker_replicas_known',
      help: 'Other replicas this replica knows (peers file and replicas that introduced themselves)',
      registers,
    });
    this.live = new Gauge({
      name: 'enjambre_tracker_replicas_live',
      help: 'Other replicas this replica is currently replicating to',
      registers,
    });
    this.linkUp = new Gauge({
      name: 'enjambre_tracker_replication_link_up',
      help: 'Per other replica (its address): 1 while replicating to it, 0 while the link is down',
      labelNames: ['peer'],
      registers,
    });
    this.messages = new Counter({
      name: 'enjambre_tracker_replication_messages_total',
      help: 'Replication batches sent and received',
      labelNames: ['direction'],
      registers,
    });
    this.bytes = new Counter({
      name: 'enjambre_tracker_replication_bytes_total',
      help: 'Replication payload bytes sent and received',
      labelNames: ['direction'],
      registers,
    });
    this.failures = new Counter({
      name: 'enjambre_tracker_replication_failures_total',
      help: 'Replication failures by reason',
      labelNames: ['reason'],
      registers,
    });
    this.lag = new Histogram({
      name: 'enjambre_tracker_replication_lag_seconds',
      help: 'Time from a change at its origin replica to its application here',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    // Present from the start, so dashboards and alerts see zeros rather than nothing.
    for (const d of ['sent', 'received']) {
      this.messages.inc({ direction: d }, 0);
      this.bytes.inc({ direction: d }, 0);
    }
  }

  fail(reason: FailureReason): void {
    this.failures.inc({ reason });
  }
}
