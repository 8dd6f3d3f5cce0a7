/**
 * Local Service Discovery (BEP 14): announces our torrents to the LAN's multicast group every
 * 5 minutes (and at once when one is added), and reports the peers others announce. Our own
 * announces come back through multicast loopback and are recognised by their cookie.
 *
 *   const lsd = new Lsd({ peerPort: session.port, interface: '192.168.1.5' });
 *   await lsd.start();
 *   lsd.on('peer', (infoHash, peer) => ...);
 *   lsd.announce(infoHash);
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PeerAddress } from '@enjambre/bittorrent';
import type { EngineLogger } from '../api';
import { AddressLimiter } from '@enjambre/dht';
import { formatLsdAnnounce, LSD_GROUP4, LSD_GROUP6, LSD_PORT, parseLsdAnnounce } from './message';

export const LSD_INTERVAL_MS = 5 * 60_000;
/** Torrents announced at once per pacing tick (a second) when they are added or start. */
const LSD_SENDS_PER_TICK = 20;

export interface LsdOptions {
  /** The TCP port peers should dial (the session's listen port). */
  peerPort: number;
  /** Local IPv4 address of the interface to use (e.g. '127.0.0.1' in a test namespace).
   * Default: the system's choice. */
  interface?: string;
  /** Also join the IPv6 group (ff15::efc0:988f). Default true; silently skipped if unavailable. */
  ipv6?: boolean;
  /** Multicast port. Default 6771. */
  port?: number;
  announceIntervalMs?: number;
  logger?: EngineLogger;
}

export interface LsdEvents {
  peer: [infoHash: string, peer: PeerAddress];
}

export interface LsdStats {
  announcesSent: number;
  announcesReceived: number;
  ownIgnored: number;
  malformed: number;
  rateLimited: number;
}

export class Lsd extends EventEmitter<LsdEvents> {
  readonly cookie = randomBytes(6).toString('hex');
  private readonly torrents = new Set<string>();
  private sock4?: dgram.Socket;
  private sock6?: dgram.Socket;
  private timer?: NodeJS.Timeout;
  private readonly limiter = new AddressLimiter({ rate: 5, burst: 20, maxAddresses: 1000 });
  private readonly counters: LsdStats = {
    announcesSent: 0,
    announcesReceived: 0,
    ownIgnored: 0,
    malformed: 0,
    rateLimited: 0,
  };
  private closed = false;
  /** Announced while this second's budget was spent: sent first at the next pacing tick. */
  private readonly soon: string[] = [];
  private sentThisTick = 0;
  /** The round of periodic announces under way: each torrent once per interval, spread out. */
  private round?: Iterator<string>;
  private roundStart = Date.now();
  private roundSent = 0;

  constructor(private readonly opts: LsdOptions) {
    super();
    this.setMaxListeners(0); // one listener per torrent (dht/peer-source.ts)
  }

  private get port(): number {
    return this.opts.port ?? LSD_PORT;
  }

  async start(): Promise<void> {
    if (this.sock4) return;
    this.sock4 = await this.open('udp4', LSD_GROUP4, this.opts.interface);
    if (this.opts.ipv6 ?? true) {
      this.sock6 = await this.open('udp6', LSD_GROUP6).catch((err: Error) => {
        this.opts.logger?.debug({ err: err.message }, 'lsd: no IPv6 multicast');
        return undefined;
      });
    }
    this.roundStart = Date.now();
    this.timer = setInterval(() => this.pace(Date.now()), this.pacePeriod);
    this.timer.unref();
  }

  private open(type: 'udp4' | 'udp6', group: string, iface?: string): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type, reuseAddr: true });
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
      s.bind(this.port, () => {
        try {
          s.addMembership(group, iface);
          if (iface) s.setMulticastInterface(iface);
          s.setMulticastLoopback(true); // other clients on this host must hear us too
          s.setMulticastTTL(1);
        } catch (err) {
          s.close();
          return reject(err as Error);
        }
        s.removeAllListeners('error');
        s.on('error', (err) => this.opts.logger?.warn({ err: err.message }, 'lsd socket error'));
        s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        resolve(s);
      });
    });
  }

  /** Announces a torrent now and every interval until `remove`. */
  announce(infoHash: Buffer | string): void {
    const hex = typeof infoHash === 'string' ? infoHash.toLowerCase() : infoHash.toString('hex');
    if (!/^[0-9a-f]{40}$/.test(hex)) throw new Error('info-hash must be 20 bytes / 40 hex');
    this.torrents.add(hex);
    if (this.sentThisTick < LSD_SENDS_PER_TICK) {
      this.sentThisTick++;
      this.send(hex);
    } else this.soon.push(hex);
  }

  remove(infoHash: Buffer | string): void {
    this.torrents.delete(
      typeof infoHash === 'string' ? infoHash.toLowerCase() : infoHash.toString('hex'),
    );
  }

  /** Changes the announced peer port (e.g. once the session's listen port is known). */
  setPeerPort(port: number): void {
    this.opts.peerPort = port;
  }

  stats(): Readonly<LsdStats> {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(
      [this.sock4, this.sock6].map((s) =>
        s ? new Promise<void>((r) => s.close(() => r())) : undefined,
      ),
    );
  }

  private get interval(): number {
    return this.opts.announceIntervalMs ?? LSD_INTERVAL_MS;
  }

  private get pacePeriod(): number {
    return Math.min(1000, this.interval);
  }

  /**
   * Each pacing tick: the torrents announced since the last one beyond its budget, then this
   * tick's share of the periodic round. 10,000 torrents are announced over the interval (about
   * 33 datagrams a second at 5 min), not 10,000 in one burst every 5 minutes.
   */
  private pace(now: number): void {
    this.sentThisTick = 0;
    while (this.soon.length > 0 && this.sentThisTick < LSD_SENDS_PER_TICK) {
      const hex = this.soon.shift()!;
      if (!this.torrents.has(hex)) continue;
      this.sentThisTick++;
      this.send(hex);
    }
    if (!this.round) {
      if (now - this.roundStart < this.interval) return;
      this.round = this.torrents.values();
      this.roundStart = now;
      this.roundSent = 0;
    }
    const share = Math.min(1, (now - this.roundStart + this.pacePeriod) / this.interval);
    const due = Math.ceil(this.torrents.size * share);
    while (this.roundSent < due) {
      const next = this.round.next();
      if (next.done) {
        this.round = undefined;
        return;
      }
      this.roundSent++;
      this.send(next.value);
    }
  }

  private send(hex: string): void {
    if (this.closed) return;
    // one info-hash per datagram: Transmission accepts no more than 200 bytes
    const targets: Array<[dgram.Socket | undefined, string, string]> = [
      [this.sock4, LSD_GROUP4, `${LSD_GROUP4}:${this.port}`],
      [this.sock6, LSD_GROUP6, `[${LSD_GROUP6}]:${this.port}`],
    ];
    for (const [sock, group, host] of targets) {
      if (!sock) continue;
      const msg = formatLsdAnnounce(host, {
        port: this.opts.peerPort,
        infoHashes: [hex],
        cookie: this.cookie,
      });
      this.counters.announcesSent++;
      sock.send(msg, this.port, group, (err) => {
        if (err) this.opts.logger?.debug({ err: err.message }, 'lsd send failed');
      });
    }
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.limiter.allow(rinfo.address, Date.now())) {
      this.counters.rateLimited++;
      return;
    }
    const a = parseLsdAnnounce(msg);
    if (!a) {
      this.counters.malformed++;
      return;
    }
    if (a.cookie === this.cookie) {
      this.counters.ownIgnored++;
      return;
    }
    this.counters.announcesReceived++;
    const ip = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    for (const h of a.infoHashes) this.emit('peer', h, { ip, port: a.port });
  }
}
