import type { SessionContext } from '../context';
import { Choker } from '../choker/choker';
import type { PeerConnection } from '../peer/connection';
import type { BlockRequest } from '../picker/picker';
import { RateMeter } from '../util/rate';
import { bothLimits, TokenBucket, type RateLimiter } from '../util/token-bucket';
import type { TorrentContent } from './content';
import type { Swarm } from './swarm';
import { SuperSeeder } from './super-seed';
import { Uploader } from './uploader';

/** Bytes moved by a torrent over its whole life (all runs). */
export class Transfer {
  readonly down = new RateMeter();
  readonly up = new RateMeter();
  uploaded = 0;
  downloaded = 0;
  /** The torrent's own limits (0 = none), on top of the session's; they outlive each run. */
  readonly upLimit = new TokenBucket(0);
  readonly downLimit = new TokenBucket(0);
  /** BEP 16 super-seeding asked for; it acts only while seeding. */
  superSeeding = false;
}

export interface LiveHooks {
  /** Every wanted piece is verified (downloading → seeding). */
  allDone(): void;
  /** A priority change made pieces wanted again (seeding → downloading). */
  wantsMore(): void;
  fail(err: Error): void;
}

/**
 * A torrent that is downloading or seeding: what one run owns besides the content. It counts
 * peers' pieces into the picker, decides our interest, feeds the downloader, serves requests and
 * runs the choker. Made when the torrent goes live with every connection it has; dropped after
 * its connections are closed.
 */
export class Live {
  private readonly uploader: Uploader;
  /** Set while super-seeding is on and the torrent seeds. */
  private superSeeder?: SuperSeeder;
  private readonly choker: Choker;
  /** Peers counted in the picker as seeds / piece by piece. */
  private readonly seedConns = new Set<PeerConnection>();
  private readonly pieceCounted = new Set<PeerConnection>();
  private lastChoke = Date.now();
  seeding: boolean;

  private readonly downLimit: RateLimiter;
  /** Peers not read from while the download limit is exhausted. */
  private readonly throttled = new Set<PeerConnection>();

  constructor(
    readonly content: TorrentContent,
    private readonly ctx: SessionContext,
    private readonly swarm: Swarm,
    private readonly transfer: Transfer,
    private readonly hooks: LiveHooks,
  ) {
    this.seeding = content.done;
    this.downLimit = bothLimits(ctx.downloadBucket, transfer.downLimit);
    this.choker = new Choker(ctx.uploadSlots);
    this.uploader = new Uploader(
      () => content.meta,
      () => content.storage,
      (c, i) => content.have.get(i) && (this.superSeeder?.allows(c, i) ?? true),
      bothLimits(ctx.uploadBucket, transfer.upLimit),
      (err) => hooks.fail(err),
      (bytes) => {
        transfer.uploaded += bytes;
        transfer.up.add(bytes);
      },
    );
    this.updateSuperSeeding();
    // peers connected before (while the metadata came or the data was checked)
    for (const c of swarm.conns) {
      if (!c.ready || !c.have) continue;
      this.countAvailability(c);
      this.setInterest(c, content.downloader.wantsFrom(c));
    }
  }

  private get downloader() {
    return this.content.downloader;
  }

  /** Whether a peer connecting now must not be sent our bitfield (BEP 16). */
  get hidesPieces(): boolean {
    return this.superSeeder !== undefined;
  }

  /** Starts or ends super-seeding to match the setting and the phase (seeding only). */
  updateSuperSeeding(): void {
    const on = this.transfer.superSeeding && this.seeding;
    if (on && !this.superSeeder) {
      const { content } = this;
      this.superSeeder = new SuperSeeder(
        content.meta.pieceCount,
        (i) => content.have.get(i),
        (i) => content.picker.availability(i),
      );
    } else if (!on && this.superSeeder) {
      this.superSeeder.release();
      this.superSeeder = undefined;
    }
  }

  onHandshake(conn: PeerConnection): void {
    this.superSeeder?.add(conn);
    if (this.content.have.cardinality > 0)
      this.choker.offerSlot(this.chokerPeer(conn), this.chokerPeers());
  }

  onAvailability(
    conn: PeerConnection,
    kind: 'have' | 'bitfield' | 'have-all' | 'have-none',
    index?: number,
  ): void {
    const picker = this.content.picker;
    if (!conn.have) return;
    if (kind === 'have' && index !== undefined) this.superSeeder?.onHave(conn, index);
    else this.superSeeder?.onBitfield(conn);
    if (kind === 'have' && index !== undefined) {
      if (this.seedConns.has(conn)) return;
      picker.addHave(index);
      this.pieceCounted.add(conn);
      if (!conn.amInterested && !picker.hasPiece(index) && picker.isWanted(index))
        this.setInterest(conn, true);
      else this.downloader.fill(conn);
    } else {
      this.countAvailability(conn);
      this.setInterest(conn, this.downloader.wantsFrom(conn));
    }
  }

  onChokeChange(conn: PeerConnection): void {
    if (!conn.peerChoking) this.downloader.fill(conn);
  }

  onInterestChange(conn: PeerConnection): void {
    if (conn.peerInterested) this.choker.offerSlot(this.chokerPeer(conn), this.chokerPeers());
    else if (!conn.amChoking && !conn.optimistic) conn.choke();
  }

  onBlock(conn: PeerConnection, index: number, begin: number, block: Buffer): void {
    this.transfer.downloaded += block.length;
    this.transfer.down.add(block.length);
    this.downLimit.take(block.length);
    this.downloader.onBlock(conn, index, begin, block, this.swarm.conns);
    if (this.downLimit.delay() > 0) this.throttle(conn);
    else if (!this.throttled.has(conn)) this.downloader.fill(conn);
  }

  /**
   * Over a download limit: stop reading from the peer and asking it for more until the limit
   * allows again. One read can hold many blocks, each adding to the debt: the socket stays
   * paused until the last of them is paid for, not the first.
   */
  private throttle(conn: PeerConnection): void {
    if (this.throttled.has(conn)) return;
    this.throttled.add(conn);
    conn.socket.pause();
    const check = () => {
      const wait = this.downLimit.delay();
      if (conn.closed) this.throttled.delete(conn);
      else if (wait > 0) setTimeout(check, wait).unref();
      else {
        this.throttled.delete(conn);
        conn.socket.resume();
        this.downloader.fill(conn);
      }
    };
    setTimeout(check, this.downLimit.delay()).unref();
  }

  onRequest(conn: PeerConnection, index: number, begin: number, length: number): void {
    this.uploader.onRequest(conn, index, begin, length);
  }

  onCancel(conn: PeerConnection, index: number, begin: number): void {
    this.uploader.onCancel(conn, index, begin);
  }

  onRequestsDropped(conn: PeerConnection, reqs: BlockRequest[]): void {
    this.downloader.release(conn, reqs);
  }

  onClose(conn: PeerConnection): void {
    this.downloader.release(conn, conn.takeOutstanding());
    this.uncountAvailability(conn);
    this.uploader.forget(conn);
    this.superSeeder?.remove(conn);
  }

  /** A piece was verified and written: tell the peers. */
  announceHave(index: number): void {
    for (const c of this.swarm.conns) if (c.ready && !c.peerHasAll) c.sendHave(index);
  }

  onHashFailed(): void {
    for (const c of this.swarm.conns) this.downloader.fill(c);
  }

  /** File priorities changed (already applied to the content). */
  prioritiesChanged(): void {
    if (!this.content.done && this.seeding) {
      this.seeding = false;
      this.updateSuperSeeding();
      this.hooks.wantsMore();
    }
    this.updateInterest();
    for (const c of this.swarm.conns) this.downloader.fill(c);
    this.checkDone();
  }

  /** Once a second. */
  tick(now: number): void {
    for (const c of this.swarm.conns) {
      if (!c.ready) continue;
      this.downloader.checkTimeouts(c, now);
      this.downloader.fill(c);
    }
    if (now - this.lastChoke >= this.ctx.chokeIntervalMs) {
      // the first round comes one interval after going live: until then interested peers take
      // the free slots as they come (Choker.offerSlot)
      this.lastChoke = now;
      this.choker.run(this.chokerPeers(), this.seeding);
      this.updateInterest();
    }
  }

  /** Downloading → seeding once every wanted piece is verified. */
  checkDone(): void {
    if (this.seeding || !this.content.done) return;
    this.seeding = true;
    this.updateSuperSeeding();
    for (const c of this.swarm.conns) if (c.ready) c.interested(false);
    this.hooks.allDone();
  }

  private countAvailability(conn: PeerConnection): void {
    if (!conn.have) return;
    this.uncountAvailability(conn);
    const picker = this.content.picker;
    if (conn.peerHasAll || conn.have.complete) {
      picker.addSeed();
      this.seedConns.add(conn);
      return;
    }
    for (let i = 0; i < conn.have.length; i++) if (conn.have.get(i)) picker.addHave(i);
    this.pieceCounted.add(conn);
  }

  private uncountAvailability(conn: PeerConnection): void {
    const picker = this.content.picker;
    if (this.seedConns.delete(conn)) picker.removeSeed();
    if (this.pieceCounted.delete(conn) && conn.have) {
      for (let i = 0; i < conn.have.length; i++) if (conn.have.get(i)) picker.removeHave(i);
    }
  }

  private setInterest(conn: PeerConnection, on: boolean): void {
    conn.interested(on);
    if (on) this.downloader.fill(conn);
  }

  private updateInterest(): void {
    for (const c of this.swarm.conns)
      if (c.ready && c.have) this.setInterest(c, this.downloader.wantsFrom(c));
  }

  private chokerPeers() {
    return [...this.swarm.conns].filter((c) => c.ready).map((c) => this.chokerPeer(c));
  }

  private chokerPeer(c: PeerConnection) {
    const uploader = this.uploader;
    return {
      get peerInterested() {
        return c.peerInterested;
      },
      get amChoking() {
        return c.amChoking;
      },
      get optimistic() {
        return c.optimistic;
      },
      set optimistic(v: boolean) {
        c.optimistic = v;
      },
      get snubbed() {
        return c.snubbed;
      },
      downRate: () => c.down.rate(),
      upRate: () => c.up.rate(),
      choke: () => {
        c.choke();
        uploader.onChoked(c);
      },
      unchoke: () => c.unchoke(),
      conn: c,
    };
  }
}
