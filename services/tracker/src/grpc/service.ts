import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  AnnounceEvent,
  TrackerService,
  type AnnounceManyRequest,
  type AnnounceManyResponse,
  type AnnounceRequest,
  type AnnounceResponse,
  type ListTorrentsRequest,
  type ListTorrentsResponse,
  type Peer,
  type PublishRequest,
  type PublishResponse,
  type ScrapeRequest,
  type ScrapeResponse,
  type TrackerServer,
  type WithdrawRequest,
  type WithdrawResponse,
  publishSignedBytes,
  verifySignature,
  withdrawSignedBytes,
} from '@enjambre/proto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { TrackerMetrics } from '../metrics';
import type { CidrSet } from '../net/cidr';
import { bytesToIp, grpcPeerIp, ipToBytes } from '../net/ip';
import type { RateLimiter } from '../rate-limit';
import {
  StoreFullError,
  addressOwner,
  type AnnounceEventName,
  type SwarmStore,
} from '../store/types';
import {
  InvalidRequest,
  MAX_NAME_BYTES,
  MAX_SCRAPE_HASHES,
  checkAmount,
  checkInfoHash,
  checkNumwant,
  checkPeerId,
  checkPort,
} from '../validate';
import { encodeAnnounceResponse } from './announce-codec';

const EVENTS: Record<number, AnnounceEventName> = {
  [AnnounceEvent.ANNOUNCE_EVENT_NONE]: 'none',
  [AnnounceEvent.ANNOUNCE_EVENT_STARTED]: 'started',
  [AnnounceEvent.ANNOUNCE_EVENT_STOPPED]: 'stopped',
  [AnnounceEvent.ANNOUNCE_EVENT_COMPLETED]: 'completed',
};
const DEFAULT_PAGE = 50;

/** Marks a request whose bytes did not decode (see tolerantService). */
const MALFORMED = Symbol('malformed');

/**
 * The Tracker service definition with decoders that never throw: grpc-js answers a decoding
 * failure with INTERNAL, but undecodable bytes (or a 64-bit count beyond 2^53) are the
 * client's mistake, so the handler refuses them as INVALID_ARGUMENT instead.
 */
export function tolerantService(): typeof TrackerService {
  const wrap = <M extends { requestDeserialize: (b: Buffer) => unknown }>(method: M): M => ({
    ...method,
    requestDeserialize: (bytes: Buffer) => {
      try {
        return method.requestDeserialize(bytes);
      } catch (err) {
        return { [MALFORMED]: (err as Error).message };
      }
    },
  });
  return {
    publish: wrap(TrackerService.publish),
    announce: { ...wrap(TrackerService.announce), responseSerialize: encodeAnnounceResponse },
    announceMany: wrap(TrackerService.announceMany),
    scrape: wrap(TrackerService.scrape),
    listTorrents: wrap(TrackerService.listTorrents),
    withdraw: wrap(TrackerService.withdraw),
  } as typeof TrackerService;
}
const MAX_PAGE = 500;
const EMPTY = Buffer.alloc(0);
/** Announces in one AnnounceMany call. */
const MAX_BATCH = 512;

/** Decodes a store sample with peer ids into gRPC peers. */
function toPeers(buf: Buffer, ipLength: number): Peer[] {
  const entry = ipLength + 22;
  const peers: Peer[] = [];
  for (let o = 0; o + entry <= buf.length; o += entry) {
    // Copies: the sample is a view of the store's reusable buffer.
    const ip = Buffer.from(buf.subarray(o, o + ipLength));
    peers.push({
      ip,
      port: buf.readUInt16BE(o + ipLength),
      peerId: Buffer.from(buf.subarray(o + ipLength + 2, o + entry)),
      address: bytesToIp(ip),
    });
  }
  return peers;
}

/** Who may say where a request came from (shared with the HTTP and UDP front ends). */
export interface GrpcAddressPolicy {
  /** Peers whose `x-forwarded-for` metadata is believed (rightmost untrusted entry). */
  trustedProxies?: CidrSet;
  /** Honour the request's `ip` field; off, it is checked but the sender's address is recorded. */
  allowIpParam?: boolean;
  /** Announces per second per sender address (shared with HTTP and UDP). */
  limiter?: RateLimiter;
  /** Publishes and withdrawals per second per sender address. */
  publishLimiter?: RateLimiter;
  /** The UDP port of the tracker's DHT node, told to clients in ListTorrents; 0: none. */
  dhtPort?: () => number;
}

/** Parsed connection addresses: a connection makes many calls, each naming its peer as text. */
const peerIps = new Map<string, Buffer | null>();
const MAX_PEER_IPS = 4096;

function connectionIp(peer: string): Buffer | null {
  let ip = peerIps.get(peer);
  if (ip === undefined) {
    ip = grpcPeerIp(peer);
    if (peerIps.size >= MAX_PEER_IPS) peerIps.clear();
    peerIps.set(peer, ip);
  }
  return ip;
}

/** The address the request came from: the connection's, or a trusted proxy's forwarded one. */
function senderIp(call: ServerUnaryCall<unknown, unknown>, policy: GrpcAddressPolicy): Buffer {
  const peer = connectionIp(call.getPeer());
  if (peer === null) throw new InvalidRequest('the connection has no IP address', 'bad_ip');
  if (policy.trustedProxies === undefined || !policy.trustedProxies.has(peer)) return peer;
  const forwarded = call.metadata.get('x-forwarded-for');
  if (forwarded.length === 0) return peer;
  const client = policy.trustedProxies.clientFromForwardedFor(forwarded.map(String).join(', '));
  if (client === null)
    throw new InvalidRequest('x-forwarded-for holds something that is no address', 'bad_ip');
  return client;
}

/** The address to record: the sender's, or the `ip` field when the operator allows it. */
function recordedIp(sender: Buffer, given: string, policy: GrpcAddressPolicy): Buffer {
  if (given === '') return sender;
  const ip = ipToBytes(given);
  if (ip === null) throw new InvalidRequest(`ip is not an IP address: ${given}`, 'bad_ip');
  return policy.allowIpParam === true ? ip : sender;
}

class RateLimited extends Error {
  constructor(readonly publishing: boolean) {
    super('rate limited');
  }
}

/** A refusal with its own gRPC status (PERMISSION_DENIED, NOT_FOUND). */
class Refused extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** How far a signature's time may be from the tracker's clock. */
const SIGNATURE_WINDOW_MS = 10 * 60_000;

interface SignedFields {
  publisherKey: Uint8Array;
  signedAtMs: number;
  signature: Uint8Array;
}

/**
 * The owner a request speaks for: its key when it carries one (and the signature over `bytes`
 * holds), else its sender's address.
 */
function requestOwner(
  req: SignedFields,
  sender: Buffer,
  bytes: () => Buffer,
): { owner: string; signedAt?: number } {
  if (req.publisherKey.length === 0) {
    if (req.signature.length > 0)
      throw new InvalidRequest('signature without publisher_key', 'bad_signature');
    return { owner: addressOwner(sender) };
  }
  if (req.publisherKey.length !== 32)
    throw new InvalidRequest('publisher_key must be 32 bytes (ed25519)', 'bad_signature');
  if (Math.abs(req.signedAtMs - Date.now()) > SIGNATURE_WINDOW_MS)
    throw new InvalidRequest('signed_at_ms is more than 10 minutes off', 'bad_signature');
  if (!verifySignature(req.publisherKey, bytes(), req.signature))
    throw new InvalidRequest('signature does not verify with publisher_key', 'bad_signature');
  return {
    owner: `key:${Buffer.from(req.publisherKey).toString('hex')}`,
    signedAt: req.signedAtMs,
  };
}

/** The Tracker gRPC service: validates, calls the store, maps errors to gRPC status codes. */
export function trackerService(
  store: SwarmStore,
  metrics: TrackerMetrics,
  logger: Logger,
  policy: GrpcAddressPolicy = {},
): TrackerServer {
  const limit = (limiter: RateLimiter | undefined, sender: Buffer): void => {
    if (limiter !== undefined && !limiter.take(sender))
      throw new RateLimited(limiter === policy.publishLimiter);
  };

  /** The status a failed call answers with (counted in the metrics). */
  function failure(err: unknown, method: string): { code: status; details: string } {
    if (err instanceof InvalidRequest) {
      metrics.error('grpc', err.reason);
      return { code: status.INVALID_ARGUMENT, details: err.message };
    }
    if (err instanceof Refused) {
      metrics.error('grpc', err.reason);
      return { code: err.code, details: err.message };
    }
    if (err instanceof RateLimited) {
      if (err.publishing) metrics.refused('grpc', 'publish_rate_limited');
      else metrics.rateLimited('grpc');
      return { code: status.RESOURCE_EXHAUSTED, details: 'too many requests from this address' };
    }
    if (err instanceof StoreFullError) {
      metrics.error('grpc', 'full');
      return { code: status.RESOURCE_EXHAUSTED, details: err.message };
    }
    metrics.error('grpc', 'internal');
    logger.error({ err, method }, 'gRPC handler failed');
    return { code: status.INTERNAL, details: 'internal error' };
  }

  /** One announce from `sender` (shared by Announce and AnnounceMany). */
  function announceOne(req: AnnounceRequest, sender: Buffer): AnnounceResponse {
    checkInfoHash(req.infoHash);
    checkPeerId(req.peerId);
    checkPort(req.port);
    if (req.numwant !== undefined) checkNumwant(req.numwant);
    checkAmount(req.uploaded, 'uploaded');
    checkAmount(req.downloaded, 'downloaded');
    checkAmount(req.left, 'left');
    const event = EVENTS[req.event];
    if (event === undefined) throw new InvalidRequest(`unknown event ${req.event}`, 'bad_event');
    const ip = recordedIp(sender, req.ip, policy);
    limit(policy.limiter, sender);
    const r = store.announce({
      infoHash: Buffer.from(req.infoHash),
      peerId: Buffer.from(req.peerId),
      ip,
      port: req.port,
      event,
      uploaded: req.uploaded,
      downloaded: req.downloaded,
      left: req.left,
      numwant: req.numwant,
      withPeerIds: !req.compact,
    });
    metrics.announce('grpc', event);
    if (req.compact)
      return {
        interval: r.interval,
        minInterval: r.minInterval,
        peers: [],
        seeders: r.seeders,
        leechers: r.leechers,
        // Copies: the samples are views of the store's reusable buffer, and an interceptor
        // may serialize the answer after the next call.
        peers4: Buffer.from(r.peers4),
        peers6: Buffer.from(r.peers6),
      };
    return {
      interval: r.interval,
      minInterval: r.minInterval,
      peers: [...toPeers(r.peers4, 4), ...toPeers(r.peers6, 16)],
      seeders: r.seeders,
      leechers: r.leechers,
      peers4: EMPTY,
      peers6: EMPTY,
    };
  }

  function handle<Req, Res>(
    method: string,
    work: (call: ServerUnaryCall<Req, Res>) => Res,
  ): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
    const duration = metrics.duration('grpc', method);
    return (call, callback) => {
      const start = performance.now();
      const done = (): void => duration.since(start);
      let response: Res;
      try {
        const malformed = (call.request as { [MALFORMED]?: string })[MALFORMED];
        if (malformed !== undefined)
          throw new InvalidRequest(`malformed request: ${malformed}`, 'malformed');
        response = work(call);
      } catch (err) {
        done();
        callback(failure(err, method));
        return;
      }
      done();
      callback(null, response);
    };
  }

  return {
    publish: handle<PublishRequest, PublishResponse>('publish', (call) => {
      const req = call.request;
      checkInfoHash(req.infoHash);
      checkPeerId(req.peerId);
      checkPort(req.port);
      if (req.name === '' || Buffer.byteLength(req.name) > MAX_NAME_BYTES)
        throw new InvalidRequest(`name must be 1..${MAX_NAME_BYTES} bytes`, 'bad_name');
      checkAmount(req.totalSize, 'total_size');
      if (req.fileCount < 1) throw new InvalidRequest('file_count must be at least 1', 'bad_files');
      const sender = senderIp(call, policy);
      const ip = recordedIp(sender, req.ip, policy);
      limit(policy.publishLimiter, sender);
      const { owner, signedAt } = requestOwner(req, sender, () => publishSignedBytes(req));
      const r = store.publish({
        infoHash: Buffer.from(req.infoHash),
        peerId: Buffer.from(req.peerId),
        ip,
        port: req.port,
        name: req.name,
        totalSize: req.totalSize,
        fileCount: req.fileCount,
        owner,
        signedAt,
      });
      metrics.announce('grpc', 'started');
      return { interval: r.interval, seeders: r.seeders, leechers: r.leechers, listed: r.listed };
    }),

    withdraw: handle<WithdrawRequest, WithdrawResponse>('withdraw', (call) => {
      const req = call.request;
      checkInfoHash(req.infoHash);
      const sender = senderIp(call, policy);
      limit(policy.publishLimiter, sender);
      const { owner, signedAt } = requestOwner(req, sender, () =>
        withdrawSignedBytes(req.infoHash, req.signedAtMs),
      );
      const result = store.withdraw(Buffer.from(req.infoHash), owner, signedAt);
      if (result === 'not_found')
        throw new Refused(status.NOT_FOUND, 'no such catalog entry', 'not_found');
      if (result === 'not_owner')
        throw new Refused(
          status.PERMISSION_DENIED,
          'the catalog entry belongs to another publisher',
          'not_owner',
        );
      if (result === 'stale')
        throw new Refused(
          status.PERMISSION_DENIED,
          'signed_at_ms is not newer than the entry',
          'stale_signature',
        );
      return {};
    }),

    announce: handle<AnnounceRequest, AnnounceResponse>('announce', (call) =>
      announceOne(call.request, senderIp(call, policy)),
    ),

    announceMany: handle<AnnounceManyRequest, AnnounceManyResponse>('announce_many', (call) => {
      const list = call.request.announces;
      if (list.length === 0 || list.length > MAX_BATCH)
        throw new InvalidRequest(
          `announces must hold 1..${MAX_BATCH} announces, got ${list.length}`,
          'bad_batch',
        );
      const sender = senderIp(call, policy);
      return {
        outcomes: list.map((req) => {
          try {
            return { code: status.OK, error: '', response: announceOne(req, sender) };
          } catch (err) {
            const f = failure(err, 'announce_many');
            return { code: f.code, error: f.details, response: undefined };
          }
        }),
      };
    }),

    scrape: handle<ScrapeRequest, ScrapeResponse>('scrape', (call) => {
      const hashes = call.request.infoHashes;
      if (hashes.length === 0 || hashes.length > MAX_SCRAPE_HASHES)
        throw new InvalidRequest(
          `info_hashes must hold 1..${MAX_SCRAPE_HASHES} hashes, got ${hashes.length}`,
          'bad_scrape',
        );
      hashes.forEach((h, i) => checkInfoHash(h, `info_hashes[${i}]`));
      const counts = store.scrape(hashes.map((h) => Buffer.from(h)));
      metrics.scrape('grpc');
      return {
        entries: counts.map((c, i) => ({
          infoHash: hashes[i],
          complete: c.seeders,
          downloaded: c.completed,
          incomplete: c.leechers,
        })),
      };
    }),

    listTorrents: handle<ListTorrentsRequest, ListTorrentsResponse>('list_torrents', (call) => {
      const req = call.request;
      if (req.pageSize > MAX_PAGE)
        throw new InvalidRequest(`page_size must be at most ${MAX_PAGE}`, 'bad_page_size');
      if (Buffer.byteLength(req.query) > MAX_NAME_BYTES)
        throw new InvalidRequest(`query must be at most ${MAX_NAME_BYTES} bytes`, 'bad_query');
      let page;
      try {
        page = store.listTorrents({
          pageSize: req.pageSize || DEFAULT_PAGE,
          pageToken: req.pageToken,
          query: req.query,
        });
      } catch (err) {
        if (err instanceof RangeError) throw new InvalidRequest(err.message, 'bad_page_token');
        throw err;
      }
      return {
        torrents: page.torrents.map((t) => ({
          infoHash: t.infoHash,
          name: t.name,
          totalSize: t.totalSize,
          fileCount: t.fileCount,
          publishedAtMs: t.publishedAt,
          seeders: t.seeders,
          leechers: t.leechers,
          completed: t.completed,
        })),
        nextPageToken: page.nextPageToken,
        dhtPort: policy.dhtPort?.() ?? 0,
      };
    }),
  };
}
