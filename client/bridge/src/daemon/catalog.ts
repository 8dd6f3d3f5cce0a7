import { credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { ListTorrentsResponse, TrackerClient } from '@enjambre/proto';
import { probeTracker } from './tracker-probe';

export interface CatalogEntry {
  infoHash: string;
  name: string;
  size: number;
  fileCount: number;
  seeders: number;
  leechers: number;
  completed: number;
  publishedAt: number;
}

export interface TrackerCatalog {
  url: string;
  ok: boolean;
  error?: string;
  torrents: CatalogEntry[];
  nextPageToken?: string;
}

export interface TrackerHealth {
  url: string;
  ok: boolean;
  error?: string;
  catalogSize?: number;
  latencyMs?: number;
  /** The UDP port of the tracker's DHT node (`--dht-port`), when it runs one. */
  dhtPort?: number;
}

export interface CatalogQuery {
  search?: string;
  pageToken?: string;
  pageSize?: number;
}

const CALL_TIMEOUT_MS = 5000;
const EMPTY_PAGES_FOLLOWED = 8;

/** Only enjambre trackers (gRPC) have a catalog; HTTP and UDP trackers are skipped. */
export function isGrpcTracker(url: string): boolean {
  return /^grpcs?:\/\//i.test(url);
}

/**
 * Reads the catalogs of enjambre trackers over gRPC. One client per tracker URL, kept open; a
 * tracker that fails answers `{ ok: false, error }` so one dead replica never hides the others.
 */
export class CatalogReader {
  private readonly clients = new Map<string, TrackerClient>();

  async list(urls: readonly string[], query: CatalogQuery = {}): Promise<TrackerCatalog[]> {
    return Promise.all(
      urls.filter(isGrpcTracker).map(async (url): Promise<TrackerCatalog> => {
        try {
          const res = await this.call(url, query);
          return {
            url,
            ok: true,
            torrents: res.torrents.map((t) => ({
              infoHash: Buffer.from(t.infoHash).toString('hex'),
              name: t.name,
              size: t.totalSize,
              fileCount: t.fileCount,
              seeders: t.seeders,
              leechers: t.leechers,
              completed: t.completed,
              publishedAt: t.publishedAtMs,
            })),
            ...(res.nextPageToken ? { nextPageToken: res.nextPageToken } : {}),
          };
        } catch (err) {
          return { url, ok: false, error: describeGrpcError(err), torrents: [] };
        }
      }),
    );
  }

  /**
   * Alive or not, and how long it took: enjambre trackers are asked for a catalog page, others
   * are probed with their own protocol.
   */
  async health(urls: readonly string[]): Promise<TrackerHealth[]> {
    return Promise.all(
      urls.map(async (url): Promise<TrackerHealth> => {
        const t0 = performance.now();
        if (!isGrpcTracker(url)) {
          const error = await probeTracker(url);
          const latencyMs = Math.round(performance.now() - t0);
          return error === undefined ? { url, ok: true, latencyMs } : { url, ok: false, error };
        }
        try {
          const res = await this.call(url, { pageSize: 500 });
          const latencyMs = Math.round(performance.now() - t0);
          const dht = res.dhtPort > 0 && res.dhtPort <= 65535 ? { dhtPort: res.dhtPort } : {};
          // The size is exact only when the catalog fits in one page.
          return res.nextPageToken
            ? { url, ok: true, latencyMs, ...dht }
            : { url, ok: true, catalogSize: res.torrents.length, latencyMs, ...dht };
        } catch (err) {
          return { url, ok: false, error: describeGrpcError(err) };
        }
      }),
    );
  }

  /** The DHT port each enjambre tracker names (one one-entry catalog page each); 0: none. */
  async dhtPorts(urls: readonly string[]): Promise<{ url: string; dhtPort: number }[]> {
    const answers = await Promise.all(
      urls.filter(isGrpcTracker).map(async (url) => {
        try {
          const { dhtPort } = await this.callOnce(url, { pageSize: 1 });
          return { url, dhtPort: dhtPort > 0 && dhtPort <= 65535 ? dhtPort : 0 };
        } catch {
          return { url, dhtPort: 0 }; // a tracker that does not answer names no node
        }
      }),
    );
    return answers.filter((a) => a.dhtPort > 0);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /**
   * One page. A tracker bounds the work of each ListTorrents call, so a search with few matches
   * can answer an empty page with a token: follow a few of those before answering.
   */
  private async call(url: string, query: CatalogQuery): Promise<ListTorrentsResponse> {
    let res = await this.callOnce(url, query);
    for (let i = 0; i < EMPTY_PAGES_FOLLOWED && res.torrents.length === 0 && res.nextPageToken; i++)
      res = await this.callOnce(url, { ...query, pageToken: res.nextPageToken });
    return res;
  }

  private callOnce(url: string, query: CatalogQuery): Promise<ListTorrentsResponse> {
    const client = this.client(url);
    return new Promise((resolve, reject) => {
      client.listTorrents(
        {
          pageSize: Math.min(Math.max(query.pageSize ?? 50, 1), 500),
          pageToken: query.pageToken ?? '',
          query: query.search ?? '',
        },
        new Metadata(),
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (err: ServiceError | null, res: ListTorrentsResponse) => (err ? reject(err) : resolve(res)),
      );
    });
  }

  private client(url: string): TrackerClient {
    let c = this.clients.get(url);
    if (!c) {
      const u = new URL(url);
      const secure = u.protocol === 'grpcs:';
      const port = u.port || (secure ? '443' : '8168');
      c = new TrackerClient(
        `${u.hostname}:${port}`,
        secure ? credentials.createSsl() : credentials.createInsecure(),
      );
      this.clients.set(url, c);
    }
    return c;
  }
}

function describeGrpcError(err: unknown): string {
  const e = err as Partial<ServiceError>;
  if (typeof e.details === 'string' && e.details) return e.details;
  return err instanceof Error ? err.message : String(err);
}
