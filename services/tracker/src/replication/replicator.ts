/**
 * Replication of one replica's swarm store to the others (see STATE.md): the Replication gRPC
 * service (KnowMe, RePublish, Snapshot), one outbound Link per other replica from the peers file
 * (or introduced by KnowMe), and the catch-up a starting replica does before it reports ready.
 */
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import { replication } from '@enjambre/proto';
import type { SwarmStore } from '../store/types';
import { NonceLedger, SessionReceiver, SessionSender, networkKeyBytes } from './auth';
import {
  HandshakeError,
  SessionTable,
  callKnowMe,
  isDialable,
  serveKnowMe,
  sessionMetadata,
  type Identity,
  type Session,
} from './handshake';
import { Link } from './link';
import { applyIncoming, Tombstones } from './merge';
import { ReplicationMetrics, type FailureReason } from './metrics';
import { PeersFileWatcher, dialTarget, type PeerAddress } from './peers-file';
import {
  MAX_BATCH_RECORDS,
  batchSize,
  removalRecord,
  recordsOfChange,
  snapshotBatches,
  storeChangesOf,
  type ChangeBatch,
  type Origins,
} from './records';

/** Links at most, the peers file's and the learned ones: what gossip can make us dial is bounded. */
const MAX_LINKS = 256;

export interface ReplicationLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReplicatorOptions {
  store: SwarmStore;
  /** The shared network key (--red-key): at least 32 bytes, never the placeholder. */
  networkKey: string;
  /** This replica's id: 16 bytes, stable across restarts (completed counters are per origin). */
  replicaId: Buffer;
  /** The name the store gives its own completed counter. */
  storeOrigin: string;
  /** "host:port" where other replicas reach this one's Replication service. */
  advertise: string;
  /** Client credentials for dialing other replicas (TLS when --tls). */
  credentials: grpc.ChannelCredentials;
  logger: ReplicationLogger;
  registry: Registry;
  /** --peers-file; without it this replica only replicates to replicas that introduce themselves. */
  peersFile?: string;
  peersPollMs?: number;
  /** Peers-file entries that name this replica (skipped without dialing). */
  isSelf?: (peer: PeerAddress) => boolean;
  /**
   * KnowMe handshakes in progress at once (each lasts at most 10 s); more are refused, so callers
   * without the key cannot pile up streams. Default 256.
   */
  maxPendingKnowMe?: number;
  /**
   * How often to ask each live link's replica again which replicas it knows (a KnowMe whose
   * session goes unused), for replicas that joined after our link started. Default 10 s.
   */
  gossipMs?: number;
  /** Pending keys per link before it falls back to a whole-state resend. */
  maxPendingPerLink?: number;
  now?: () => number;
}

export class Replicator {
  readonly metrics: ReplicationMetrics;
  private readonly me: Identity;
  private readonly origins: Origins;
  private readonly ledger = new NonceLedger(10 * 60_000, 100_000);
  private readonly sessions = new SessionTable(60_000, 1024);
  private readonly tombstones: Tombstones;
  private readonly links = new Map<string, Link>();
  private readonly clients = new Map<string, replication.ReplicationClient>();
  private filePeers: PeerAddress[] = [];
  private watcher: PeersFileWatcher | null = null;
  private unsubscribe: (() => void) | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private gossipTimer: NodeJS.Timeout | null = null;
  private gossiping = false;
  private readonly now: () => number;
  private closed = false;
  private pendingKnowMe = 0;

  constructor(private readonly opts: ReplicatorOptions) {
    if (opts.replicaId.length !== 16) throw new RangeError('replica id must be 16 bytes');
    this.metrics = new ReplicationMetrics(opts.registry);
    this.me = {
      replicaId: opts.replicaId,
      networkKey: networkKeyBytes(opts.networkKey),
      advertise: opts.advertise,
    };
    this.origins = { self: opts.replicaId, storeOrigin: opts.storeOrigin };
    const ttlMs = (opts.store.limits.interval + opts.store.limits.grace) * 1000;
    this.tombstones = new Tombstones(ttlMs, 1_000_000);
    this.now = opts.now ?? Date.now;
  }

  /** Where others reach us, once the gRPC port is bound (sent in KnowMe). */
  setAdvertise(advertise: string): void {
    this.me.advertise = advertise;
  }

  get replicaId(): string {
    return this.opts.replicaId.toString('hex');
  }

  /** The Replication service implementation, for `server.addService(ReplicationService, ...)`. */
  service(): replication.ReplicationServer {
    return {
      knowMe: (call) => {
        if (this.pendingKnowMe >= (this.opts.maxPendingKnowMe ?? 256)) {
          this.metrics.fail('busy');
          call.emit('error', {
            code: grpc.status.RESOURCE_EXHAUSTED,
            details: 'too many KnowMe in progress',
          });
          return;
        }
        // Every handshake ends in exactly one of the two callbacks (at the latest on its timeout).
        this.pendingKnowMe++;
        serveKnowMe(
          call,
          this.me,
          this.ledger,
          (s) => {
            this.pendingKnowMe--;
            this.sessions.grant(s);
            this.introduced(s);
          },
          (err, peer) => {
            this.pendingKnowMe--;
            // Dialing ourselves (our own peers-file entry) is not a failure.
            if (err.reason === 'self') return;
            this.metrics.fail(err.reason);
            this.opts.logger.warn({ peer, reason: err.reason }, `KnowMe refused: ${err.message}`);
          },
          () => this.liveTargets(),
        );
      },
      rePublish: (call, callback) => this.serveRePublish(call, callback),
      snapshot: (call) => void this.serveSnapshot(call),
    };
  }

  /** Starts following the peers file and the store; links start at once. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.store.onChange((change) => {
      if (change.kind === 'removed' && change.reason === 'stopped') {
        this.tombstones.add(removalRecord(change, this.opts.replicaId));
      }
      const batch = recordsOfChange(change, this.origins, this.now());
      if (batch === null) return;
      for (const link of this.links.values()) link.send(batch);
    });
    // Removals older than a peer can live are no longer needed (STATE.md, invariant 2).
    this.pruneTimer = setInterval(() => this.tombstones.prune(this.now()), 60_000);
    this.pruneTimer.unref();
    this.gossipTimer = setInterval(() => void this.askKnown(), this.opts.gossipMs ?? 10_000);
    this.gossipTimer.unref();
    if (this.opts.peersFile !== undefined) {
      this.watcher = new PeersFileWatcher(
        this.opts.peersFile,
        this.opts.peersPollMs ?? 2000,
        (peers) => this.setFilePeers(peers),
        (err) => this.opts.logger.warn({ file: this.opts.peersFile }, `peers file: ${err.message}`),
      );
      await this.watcher.start();
    }
  }

  /**
   * Pulls the whole state of every reachable replica in the peers file (at most `timeoutMs`);
   * returns how many answered. Call before reporting ready.
   */
  async catchUp(timeoutMs: number): Promise<number> {
    const targets = this.filePeers.filter((p) => !this.opts.isSelf?.(p)).map(dialTarget);
    if (targets.length === 0) return 0;
    let answered = 0;
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      targets.map(async (target) => {
        try {
          await this.pullSnapshot(target, deadline);
          answered++;
        } catch (err) {
          if (err instanceof HandshakeError && err.reason === 'self') return;
          this.opts.logger.warn(
            { target },
            `catch-up from ${target} failed: ${(err as Error).message}`,
          );
        }
      }),
    );
    this.opts.logger.info({ answered, asked: targets.length }, 'caught up');
    return answered;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    if (this.pruneTimer !== null) clearInterval(this.pruneTimer);
    if (this.gossipTimer !== null) clearInterval(this.gossipTimer);
    this.watcher?.stop();
    for (const link of this.links.values()) link.stop();
    this.links.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    this.updateGauges();
  }

  /** Link states by target, for logs and tests. */
  linkStates(): Record<string, string> {
    return Object.fromEntries([...this.links].map(([t, l]) => [t, l.state]));
  }

  // --- peers ---

  private setFilePeers(peers: PeerAddress[]): void {
    this.filePeers = peers;
    const wanted = new Set(peers.filter((p) => !this.opts.isSelf?.(p)).map(dialTarget));
    for (const [target, link] of this.links) {
      if (!wanted.has(target) && !link.learned) {
        this.dropLink(link);
        this.opts.logger.info({ target }, 'replica left the peers file');
      }
    }
    for (const target of wanted) {
      const link = this.links.get(target);
      if (link === undefined || link.state === 'stopped') this.addLink(target, false);
      else link.learned = false;
    }
    this.opts.logger.info({ peers: [...wanted] }, 'peers file read');
    this.updateGauges();
  }

  private addLink(target: string, learned: boolean): void {
    if (this.closed) return;
    const link = new Link(target, this.client(target), learned, {
      me: this.me,
      metrics: this.metrics,
      fullState: () => this.fullState(),
      onState: (l) => {
        if (l.learned && l.state === 'down' && l.failures >= 5) {
          this.dropLink(l);
          this.opts.logger.info(
            { target: l.target },
            'introduced replica unreachable: link dropped',
          );
        }
        if (l.state === 'self')
          this.opts.logger.info({ target: l.target }, 'peers file entry is this replica');
        this.updateGauges();
      },
      claim: (l, peerId) => {
        for (const other of this.links.values()) {
          if (other === l || other.peerId === null || !other.peerId.equals(peerId)) continue;
          if (other.state === 'stopped') continue;
          // Prefer the peers file's link; a learned duplicate gives way.
          if (l.learned) return false;
          if (other.learned) this.dropLink(other);
        }
        return true;
      },
      onKnown: (known) => this.told(known),
      log: (level, msg, extra) => this.opts.logger[level]({ ...extra }, msg),
      maxPending: this.opts.maxPendingPerLink ?? 200_000,
    });
    this.links.set(target, link);
    link.start();
  }

  /** Stops a link and closes its channel (a new link to the target gets a new one). */
  private dropLink(link: Link): void {
    link.stop();
    if (this.links.get(link.target) !== link) return;
    this.links.delete(link.target);
    this.clients.get(link.target)?.close();
    this.clients.delete(link.target);
  }

  /** A replica proved the key to us: make sure we replicate back to it. */
  private introduced(s: Session): void {
    // A replica back from a restart may find our link to it still failing: keep that link and
    // retry at once, else it is dropped after its fifth failure and nothing links back to the
    // replica (its own link to us is live, so it does not introduce itself again).
    for (const link of this.links.values()) {
      if (link.peerId !== null && link.peerId.equals(s.peerId) && link.state !== 'stopped') {
        link.revive();
        return;
      }
    }
    const target = s.peerAdvertise;
    if (!isDialable(target)) return;
    const existing = this.links.get(target);
    if (existing !== undefined) {
      existing.revive();
      return;
    }
    this.opts.logger.info({ target, peer: s.peerId.toString('hex') }, 'replica introduced itself');
    this.addLink(target, true);
    this.updateGauges();
  }

  /** Where the replicas we replicate to listen, for our Welcome. */
  private liveTargets(): string[] {
    return [...this.links.values()].filter((l) => l.state === 'live').map((l) => l.target);
  }

  /**
   * A replica that proved the key listed the replicas it links to: link to those we do not know,
   * so two replicas beyond the peers file (autoscaling) find each other. Such a link is learned:
   * dropped after five failures, and it gives way to another link to the same replica.
   */
  private told(known: string[]): void {
    let added = 0;
    for (const target of known) {
      if (this.links.size >= MAX_LINKS) break;
      if (target === this.me.advertise || this.links.has(target) || !isDialable(target)) continue;
      this.opts.logger.info({ target }, 'replica learned from another');
      this.addLink(target, true);
      added++;
    }
    if (added > 0) this.updateGauges();
  }

  /**
   * A Welcome tells only what its replica knew at that moment: two replicas that joined at once
   * would each miss the other. So each live link's replica is asked again now and then.
   */
  private async askKnown(): Promise<void> {
    if (this.gossiping || this.closed) return;
    this.gossiping = true;
    try {
      for (const link of [...this.links.values()]) {
        if (link.state !== 'live' || link.peerId === null || this.closed) continue;
        try {
          const s = await callKnowMe(link.client, this.me, 5_000);
          if (s.peerId.equals(link.peerId)) this.told(s.known ?? []);
        } catch {
          // The link itself notices a replica that went away.
        }
      }
    } finally {
      this.gossiping = false;
    }
  }

  private client(target: string): replication.ReplicationClient {
    let client = this.clients.get(target);
    if (client === undefined) {
      client = new replication.ReplicationClient(target, this.opts.credentials, {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2_000,
        'grpc.max_receive_message_length': 8 << 20,
      });
      this.clients.set(target, client);
    }
    return client;
  }

  private updateGauges(): void {
    let known = 0;
    let live = 0;
    // Dropped links leave the gauge with their series.
    this.metrics.linkUp.reset();
    for (const link of this.links.values()) {
      if (link.state === 'self' || link.state === 'stopped') continue;
      known++;
      if (link.state === 'live') live++;
      this.metrics.linkUp.set({ peer: link.target }, link.state === 'live' ? 1 : 0);
    }
    this.metrics.known.set(known);
    this.metrics.live.set(live);
  }

  // --- state transfer ---

  private fullState(): Iterable<ChangeBatch> {
    return snapshotBatches(this.opts.store.snapshot(), this.tombstones.records(), this.origins);
  }

  /** Verifies, decodes and applies one received batch; returns a failure reason or null. */
  private receive(
    receiver: SessionReceiver,
    msg: replication.SignedBatch | undefined,
  ): FailureReason | null {
    if (msg === undefined) return 'malformed';
    const verdict = receiver.accept(msg.seq, msg.payload, msg.mac);
    if (verdict !== 'ok') return verdict;
    let batch: ChangeBatch;
    try {
      batch = replication.ChangeBatch.decode(msg.payload);
    } catch {
      return 'malformed';
    }
    if (batchSize(batch) > MAX_BATCH_RECORDS) return 'malformed';
    this.metrics.messages.inc({ direction: 'received' });
    this.metrics.bytes.inc({ direction: 'received' }, msg.payload.length);
    const now = this.now();
    const { changes, invalid } = storeChangesOf(batch, this.origins, now);
    const { refused } = applyIncoming(this.opts.store, this.tombstones, changes);
    if (invalid > 0) this.metrics.failures.inc({ reason: 'malformed' }, invalid);
    if (refused > 0) this.metrics.failures.inc({ reason: 'store-full' }, refused);
    if (!batch.fullState) {
      const applied = this.now();
      for (const p of batch.peers)
        this.metrics.lag.observe(Math.max(0, applied - p.updatedAtMs) / 1000);
      for (const t of batch.torrents)
        this.metrics.lag.observe(Math.max(0, applied - t.updatedAtMs) / 1000);
    }
    return null;
  }

  private serveRePublish(
    call: grpc.ServerReadableStream<replication.RePublishRequest, replication.RePublishResponse>,
    callback: grpc.sendUnaryData<replication.RePublishResponse>,
  ): void {
    const session = this.sessions.take(call.metadata);
    if (session === null) {
      this.metrics.fail('auth');
      callback({
        code: grpc.status.UNAUTHENTICATED,
        details: 'no valid session: call KnowMe first',
      });
      return;
    }
    const receiver = new SessionReceiver(session.key, 'c2s');
    let batches = 0;
    let failed = false;
    call.on('data', (req: replication.RePublishRequest) => {
      if (failed) return;
      const failure = this.receive(receiver, req.batch);
      if (failure === null) {
        batches++;
        return;
      }
      failed = true;
      this.metrics.fail(failure);
      this.opts.logger.warn(
        { peer: session.peerId.toString('hex'), reason: failure },
        'RePublish batch refused',
      );
      callback({ code: grpc.status.PERMISSION_DENIED, details: `batch refused: ${failure}` });
    });
    call.on('end', () => {
      if (!failed) callback(null, { batches });
    });
    call.on('error', () => {
      failed = true;
    });
  }

  private async serveSnapshot(
    call: grpc.ServerWritableStream<replication.SnapshotRequest, replication.SnapshotResponse>,
  ): Promise<void> {
    const session = this.sessions.take(call.metadata);
    const query = call.request.query;
    if (session === null || query === undefined) {
      this.metrics.fail('auth');
      call.emit('error', {
        code: grpc.status.UNAUTHENTICATED,
        details: 'no valid session: call KnowMe first',
      });
      return;
    }
    const verdict = new SessionReceiver(session.key, 'c2s').accept(
      query.seq,
      query.payload,
      query.mac,
    );
    if (verdict !== 'ok') {
      this.metrics.fail(verdict);
      call.emit('error', {
        code: grpc.status.PERMISSION_DENIED,
        details: `query refused: ${verdict}`,
      });
      return;
    }
    const sender = new SessionSender(session.key, 's2c');
    let cancelled = false;
    call.on('cancelled', () => (cancelled = true));
    for (const b of this.fullState()) {
      if (cancelled) return;
      const payload = Buffer.from(replication.ChangeBatch.encode(b).finish());
      this.metrics.messages.inc({ direction: 'sent' });
      this.metrics.bytes.inc({ direction: 'sent' }, payload.length);
      if (!call.write({ batch: sender.sign(payload) })) {
        await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
      }
    }
    call.end();
  }

  private async pullSnapshot(target: string, deadline: number): Promise<void> {
    const client = this.client(target);
    const session = await callKnowMe(client, this.me, Math.max(1, deadline - Date.now()));
    const sender = new SessionSender(session.key, 'c2s');
    const query = Buffer.from(replication.SnapshotQuery.encode({ sentAtMs: this.now() }).finish());
    const call = client.snapshot({ query: sender.sign(query) }, sessionMetadata(session), {
      deadline,
    });
    const receiver = new SessionReceiver(session.key, 's2c');
    for await (const res of call as AsyncIterable<replication.SnapshotResponse>) {
      const failure = this.receive(receiver, res.batch);
      if (failure !== null) {
        this.metrics.fail(failure);
        call.cancel();
        throw new Error(`snapshot batch refused: ${failure}`);
      }
    }
  }
}
