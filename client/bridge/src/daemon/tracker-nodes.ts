/**
 * The enjambre trackers the bridge knows, as DHT bootstrap nodes. A tracker replica started with
 * `--dht-port` names that port in its ListTorrents answers; the engine's DHT node pings the
 * tracker's host at that port and keeps it in its routing table (and saved table) if it answers.
 * A tracker reached through a proxy (an Ingress) whose host does not carry UDP simply never
 * answers the ping. Checked at start and every 30 minutes: trackers come and go.
 */
import type { Logger } from 'pino';
import type { SessionApi } from '@enjambre/engine';
import type { CatalogReader } from './catalog';

const REFRESH_MS = 30 * 60_000;
/** Nodes remembered for the status page at most. */
const MAX_NODES = 64;

export class TrackerDhtNodes {
  private readonly found = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly session: SessionApi,
    private readonly catalog: CatalogReader,
    private readonly trackers: () => string[],
    private readonly log: Logger,
  ) {}

  /** The tracker nodes the DHT node reached, as `host:port`. */
  get nodes(): string[] {
    return [...this.found];
  }

  start(): void {
    if (!this.session.discoveryStats().dht) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  /** Asks every known enjambre tracker for its DHT port and pings the nodes (one run at a time). */
  refresh(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    for (const h of await this.catalog.dhtPorts(this.trackers())) {
      const host = new URL(h.url).hostname.replace(/^\[|\]$/g, '');
      const node = host.includes(':') ? `[${host}]:${h.dhtPort}` : `${host}:${h.dhtPort}`;
      if (await this.session.addDhtNode(host, h.dhtPort)) {
        if (this.found.size < MAX_NODES) this.found.add(node);
      } else {
        this.log.info({ tracker: h.url, node }, 'the DHT node a tracker names did not answer');
      }
    }
  }
}
