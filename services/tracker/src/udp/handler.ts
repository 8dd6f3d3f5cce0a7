import {
  ProtocolError,
  UDP_MAX_REQUEST_LENGTH,
  UDP_PROTOCOL_ID,
  UdpAction,
  createUdpAnnounceRequest,
  decodeUdpAnnounceRequest,
  decodeUdpScrapeRequest,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeResponse,
  writeUdpAnnounceResponseHeader,
} from '@enjambre/bittorrent';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { DurationSeries, TrackerMetrics } from '../metrics';
import type { RateLimiter } from '../rate-limit';
import { StoreFullError, type SwarmStore } from '../store/types';
import { ConnectionIds } from './connection-id';

/** Where the answer to one request goes: a socket, or a batch going back to a UDP worker. */
export interface UdpReplySink {
  /** A buffer of `size` bytes for the answer, valid until `send` returns. */
  buffer(size: number): Buffer;
  send(packet: Buffer): void;
}

export interface UdpHandlerOptions {
  store: SwarmStore;
  metrics: TrackerMetrics;
  logger: Logger;
  /** Honour the announce's IPv4 `ip` field (off: a client cannot announce someone else). */
  allowIpParam?: boolean;
  /** Connection-id issuer, shared (same secret) with every process answering the socket. */
  ids: ConnectionIds;
  /** Announces per second per address, shared with the other front ends. */
  limiter?: RateLimiter;
}

/** Whether `msg` is a well-formed BEP 15 connect request (answerable without the store). */
export function isConnectRequest(msg: Buffer): boolean {
  return (
    msg.length === 16 &&
    msg.readUInt32BE(8) === UdpAction.Connect &&
    UDP_PROTOCOL_ID.equals(msg.subarray(0, 8))
  );
}

/** The answer to a connect request from (ip, port). */
export function connectResponse(ids: ConnectionIds, msg: Buffer, ip: Buffer, port: number): Buffer {
  return encodeUdpConnectResponse(msg.readUInt32BE(12), ids.issue(ip, port));
}

/**
 * BEP 15 request → answer, independent of where the packet came from: parsed with the protocol
 * core's codec into a reused object and answered from the store. Packets too short to carry a
 * transaction id or longer than any valid request are dropped; every other bad packet gets an
 * error packet.
 */
export class UdpRequestHandler {
  private readonly request = createUdpAnnounceRequest();
  private readonly announceDuration: DurationSeries;
  /** Length of the request being answered. */
  private requestLength = 0;

  constructor(private readonly options: UdpHandlerOptions) {
    this.announceDuration = options.metrics.duration('udp', 'announce');
  }

  /** Answers `msg` from the client (ip, port) through `sink` (at most one packet). */
  handle(msg: Buffer, ip: Buffer, port: number, sink: UdpReplySink): void {
    if (msg.length < 16 || msg.length > UDP_MAX_REQUEST_LENGTH) {
      this.options.metrics.error('udp', 'bad_packet');
      return;
    }
    const transactionId = msg.readUInt32BE(12);
    this.requestLength = msg.length;
    try {
      const action = msg.readUInt32BE(8);
      if (action === UdpAction.Connect) this.connect(msg, ip, port, sink);
      else if (action === UdpAction.Announce) this.announce(msg, ip, port, sink);
      else if (action === UdpAction.Scrape) this.scrape(msg, ip, port, sink);
      else this.fail(sink, transactionId, `unknown action ${action}`, 'bad_action');
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(sink, transactionId, err.message, err.code);
      else if (err instanceof StoreFullError) this.fail(sink, transactionId, err.message, 'full');
      else {
        this.options.logger.error({ err }, 'UDP request failed');
        this.fail(sink, transactionId, 'internal error', 'internal');
      }
    }
  }

  private connect(msg: Buffer, ip: Buffer, port: number, sink: UdpReplySink): void {
    if (!isConnectRequest(msg)) {
      this.fail(
        sink,
        msg.readUInt32BE(12),
        'connect request without the protocol id',
        'bad_connect',
      );
      return;
    }
    sink.send(connectResponse(this.options.ids, msg, ip, port));
  }

  private announce(msg: Buffer, ip: Buffer, port: number, sink: UdpReplySink): void {
    const { store, metrics } = this.options;
    const start = performance.now();
    const req = decodeUdpAnnounceRequest(msg, this.request);
    if (!this.options.ids.verify(req.connectionId, ip, port)) {
      this.fail(sink, req.transactionId, 'invalid connection id', 'bad_connection_id');
      return;
    }
    if (req.port === 0) {
      this.fail(sink, req.transactionId, 'port must be 1..65535', 'bad_port');
      return;
    }
    if (this.options.limiter !== undefined && !this.options.limiter.take(ip)) {
      metrics.rateLimited('udp');
      this.fail(sink, req.transactionId, 'too many announces from this address', 'rate_limited');
      return;
    }
    let peerIp = ip;
    if (this.options.allowIpParam && req.ip !== 0 && ip.length === 4) {
      peerIp = Buffer.allocUnsafe(4);
      peerIp.writeUInt32BE(req.ip, 0);
    }
    const r = store.announce({
      infoHash: req.infoHash,
      peerId: req.peerId,
      ip: peerIp,
      port: req.port,
      event: req.event,
      uploaded: req.uploaded,
      downloaded: req.downloaded,
      left: req.left,
      numwant: req.numWant < 0 ? undefined : req.numWant,
      sameFamilyOnly: true,
    });
    const peers = ip.length === 4 ? r.peers4 : r.peers6;
    const out = sink.buffer(20 + peers.length);
    writeUdpAnnounceResponseHeader(out, req.transactionId, r.interval, r.leechers, r.seeders);
    peers.copy(out, 20);
    sink.send(out);
    metrics.announce('udp', req.event);
    this.announceDuration.since(start);
  }

  private scrape(msg: Buffer, ip: Buffer, port: number, sink: UdpReplySink): void {
    const req = decodeUdpScrapeRequest(msg);
    if (!this.options.ids.verify(req.connectionId, ip, port)) {
      this.fail(sink, req.transactionId, 'invalid connection id', 'bad_connection_id');
      return;
    }
    const counts = this.options.store.scrape(req.infoHashes);
    sink.send(
      encodeUdpScrapeResponse(
        req.transactionId,
        counts.map((c) => ({
          complete: c.seeders,
          downloaded: c.completed,
          incomplete: c.leechers,
        })),
      ),
    );
    this.options.metrics.scrape('udp');
  }

  private fail(sink: UdpReplySink, transactionId: number, message: string, reason: string): void {
    this.options.metrics.error('udp', reason);
    // No bigger than the request (or 64 bytes): an error must not amplify a spoofed packet.
    const room = Math.max(this.requestLength, 64) - 8;
    const text = message.replace(/^udp tracker: /, '').slice(0, room);
    sink.send(encodeUdpErrorResponse(transactionId, text));
  }
}
