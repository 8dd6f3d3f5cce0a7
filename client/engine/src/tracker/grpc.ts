import type { KeyObject } from 'node:crypto';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { decodeCompactPeers } from '@enjambre/bittorrent';
import {
  AnnounceEvent,
  TrackerClient as GrpcTracker,
  type AnnounceRequest as GrpcAnnounceRequest,
  type AnnounceResponse,
  publishSignedBytes,
  rawPublicKey,
  signBytes,
} from '@enjambre/proto';
import type {
  AnnounceRequest,
  AnnounceResult,
  PublishInfo,
  ScrapeResult,
  TrackerClient,
} from './client';

const EVENTS: Record<AnnounceRequest['event'], AnnounceEvent> = {
  none: AnnounceEvent.ANNOUNCE_EVENT_NONE,
  started: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
  stopped: AnnounceEvent.ANNOUNCE_EVENT_STOPPED,
  completed: AnnounceEvent.ANNOUNCE_EVENT_COMPLETED,
};

/** Announces in one AnnounceMany call (the tracker's limit). */
const MAX_BATCH = 512;

interface Pending {
  req: AnnounceRequest;
  signal: AbortSignal;
  resolve: (r: AnnounceResult) => void;
  reject: (e: Error) => void;
}

function announceRequest(req: AnnounceRequest): GrpcAnnounceRequest {
  return {
    infoHash: req.infoHash,
    peerId: req.peerId,
    event: EVENTS[req.event],
    uploaded: req.uploaded,
    downloaded: req.downloaded,
    left: req.left,
    numwant: req.numwant,
    port: req.port,
    ip: '',
    compact: true,
  };
}

/**
 * The answer's peers: compact bytes (what we ask for), or the repeated field from a tracker that
 * predates the compact field.
 */
function toResult(res: AnnounceResponse): AnnounceResult {
  const peers = res.peers.map((p) => ({ host: p.address, port: p.port }));
  for (const p of decodeCompactPeers(res.peers4, 4)) peers.push({ host: p.ip, port: p.port });
  for (const p of decodeCompactPeers(res.peers6, 6)) peers.push({ host: p.ip, port: p.port });
  return { interval: res.interval, peers, seeders: res.seeders, leechers: res.leechers };
}

/** Client of the enjambre tracker's gRPC API for `grpc://host:port` and `grpcs://host:port`. */
export class GrpcTrackerClient implements TrackerClient {
  private readonly client: GrpcTracker;
  private pending: Pending[] = [];
  private batching = true;

  /** `publisherKey` signs Publish, so the catalog entry stays ours from any address. */
  constructor(
    url: string,
    private readonly publisherKey?: KeyObject,
  ) {
    const u = new URL(url);
    if (!u.port || !u.hostname) throw new Error(`bad gRPC tracker URL ${url}`);
    const creds = u.protocol === 'grpcs:' ? credentials.createSsl() : credentials.createInsecure();
    this.client = new GrpcTracker(`${u.hostname}:${u.port}`, creds);
  }

  /**
   * Announces made in the same turn of the event loop (a session starting many torrents) go out
   * as one AnnounceMany call; a lone one, or any to a tracker without AnnounceMany, as Announce.
   */
  announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    if (!this.batching) return this.announceOne(req, signal);
    return new Promise<AnnounceResult>((resolve, reject) => {
      this.pending.push({ req, signal, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) this.sendBatch(all.slice(i, i + MAX_BATCH));
  }

  private sendBatch(batch: Pending[]): void {
    const one = (p: Pending) => this.announceOne(p.req, p.signal).then(p.resolve, p.reject);
    const live = batch.filter((p) => {
      if (p.signal.aborted) p.reject(new Error('timed out'));
      return !p.signal.aborted;
    });
    if (live.length === 1) one(live[0]);
    if (live.length <= 1) return;
    const call = this.client.announceMany(
      { announces: live.map((p) => announceRequest(p.req)) },
      new Metadata(),
      (err, res) => {
        for (const p of live) p.signal.removeEventListener('abort', onAbort);
        if (err?.code === status.UNIMPLEMENTED) {
          // A tracker from before AnnounceMany: one call per announce from now on.
          this.batching = false;
          live.forEach(one);
          return;
        }
        if (err || res.outcomes.length !== live.length) {
          const e = new Error(err ? err.details || err.message : 'AnnounceMany answer is short');
          for (const p of live) p.reject(e);
          return;
        }
        res.outcomes.forEach((o, i) => {
          if (o.code !== status.OK || o.response === undefined)
            live[i].reject(new Error(o.error || `tracker refused the announce (${o.code})`));
          else {
            try {
              live[i].resolve(toResult(o.response));
            } catch (e) {
              live[i].reject(e as Error);
            }
          }
        });
      },
    );
    // A timed-out announce fails at once; the call goes on for the others unless all gave up.
    const onAbort = () => {
      for (const p of live) if (p.signal.aborted) p.reject(new Error('timed out'));
      if (live.every((p) => p.signal.aborted)) call.cancel();
    };
    for (const p of live) p.signal.addEventListener('abort', onAbort);
  }

  private announceOne(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    return this.call<AnnounceResult>(signal, (md, cb) =>
      this.client.announce(announceRequest(req), md, (err, res) => {
        let result: AnnounceResult | undefined;
        try {
          result = res && toResult(res);
        } catch (e) {
          cb(e as Error, undefined);
          return;
        }
        cb(err, result);
      }),
    );
  }

  scrape(infoHash: Buffer, signal: AbortSignal): Promise<ScrapeResult> {
    return this.call<ScrapeResult>(signal, (md, cb) =>
      this.client.scrape({ infoHashes: [infoHash] }, md, (err, res) => {
        const e = res?.entries[0];
        cb(
          err ?? (e ? null : new Error('empty scrape answer')),
          e && {
            seeders: e.complete,
            leechers: e.incomplete,
            completed: e.downloaded,
          },
        );
      }),
    );
  }

  async publish(info: PublishInfo, signal: AbortSignal): Promise<void> {
    const signed: { publisherKey: Buffer; signedAtMs: number; signature: Buffer } = {
      publisherKey: Buffer.alloc(0),
      signedAtMs: 0,
      signature: Buffer.alloc(0),
    };
    if (this.publisherKey !== undefined) {
      signed.publisherKey = rawPublicKey(this.publisherKey);
      signed.signedAtMs = Date.now();
      signed.signature = signBytes(
        this.publisherKey,
        publishSignedBytes({
          infoHash: info.infoHash,
          signedAtMs: signed.signedAtMs,
          name: info.name,
          totalSize: info.size,
          fileCount: info.fileCount,
        }),
      );
    }
    await this.call<void>(signal, (md, cb) =>
      this.client.publish(
        {
          infoHash: info.infoHash,
          peerId: info.peerId,
          ip: '',
          port: info.port,
          name: info.name,
          totalSize: info.size,
          fileCount: info.fileCount,
          ...signed,
        },
        md,
        (err) => cb(err, undefined),
      ),
    );
  }

  close(): void {
    this.client.close();
  }

  private call<T>(
    signal: AbortSignal,
    fn: (
      md: Metadata,
      cb: (err: ServiceError | Error | null, res: T | undefined) => void,
    ) => { cancel(): void },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error('timed out'));
        return;
      }
      const call = fn(new Metadata(), (err, res) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(new Error((err as ServiceError).details || err.message));
        else resolve(res as T);
      });
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort);
    });
  }
}
