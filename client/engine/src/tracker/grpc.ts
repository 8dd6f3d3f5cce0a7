import type { KeyObject } from 'node:crypto';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { decodeCompactPeers } from '@enjambre/bittorrent';
import {
  AnnounceEvent,
  TrackerClient as GrpcTracker,
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

  announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    return this.call<AnnounceResult>(signal, (md, cb) =>
      this.client.announce(
        {
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
        },
        md,
        (err, res) => {
          let result: AnnounceResult | undefined;
          try {
            result = res && toResult(res);
          } catch (e) {
            cb(e as Error, undefined);
            return;
          }
          cb(err, result);
        },
      ),
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
