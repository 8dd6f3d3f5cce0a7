/**
 * A Mainline DHT node (BEP 5): one UDP socket (dual-stack when the system allows, BEP 32), a
 * KRPC server (ping, find_node, get_peers, announce_peer, BEP 51 sample_infohashes), iterative
 * lookups for clients, BEP 43 read-only mode, and its routing table saved in LevelDB.
 *
 *   const dht = new Dht({ port: 6881, bootstrap: ['router.example:6881'], dataDir });
 *   await dht.start();
 *   const { peers } = await dht.lookup(infoHash);
 *   await dht.announce(infoHash, peerPort);
 */
import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import {
  isLocalAddress,
  nodeIdForAddress,
  nodeIdMatchesAddress,
  NODE_ID_LENGTH,
  type KrpcMethod,
  type KrpcQuery,
  type NodeInfo,
  type PeerAddress,
  type QueryArgs,
  type Want,
} from '@enjambre/bittorrent';
import { parseHostPort, resolveRouters } from './bootstrap';
import { DhtDb } from './dht-db';
import { KrpcSocket, QueryError, type Answer, type SocketCounters } from './krpc-socket';
import { IpVotes } from './ip-votes';
import { ALPHA, iterativeLookup, type LookupResult } from './lookup';
import { PeerStore } from './peer-store';
import { QueryResponder } from './responder';
import { RoutingTable, type RoutingTableOptions } from './routing-table';
import type { DhtEvents, DhtOptions, DhtStats, SampleResult } from './types';

export type { DhtEvents, DhtOptions, DhtStats, SampleResult } from './types';
export { parseHostPort };

const SAVE_EVERY_MS = 5 * 60_000;
const MAX_CANDIDATE_PINGS = 32;
/** Distinct nodes that must report the same external address before our id follows it. */
const VOTES_FOR_ID = 3;

export class Dht extends EventEmitter<DhtEvents> {
  private readonly opts: DhtOptions;
  private socket?: KrpcSocket;
  private db?: DhtDb;
  private _nodeId: Buffer;
  private table4!: RoutingTable;
  private table6!: RoutingTable;
  private readonly store = new PeerStore();
  private responder?: QueryResponder;
  private readonly candidatePings = new Set<string>();
  /** BEP 42: our external IP as answering nodes see it -> the IPs of the nodes that said so. */
  private readonly ipVotes = new IpVotes();
  private timer?: NodeJS.Timeout;
  /** Nodes of the saved table, until `start` pings them. */
  private saved: NodeInfo[] = [];
  private joined = false;
  private lastSave = 0;
  private refreshing = false;
  private closed = false;
  private lookups = 0;
  private announces = 0;
  private rejectedNodes = 0;

  constructor(options: DhtOptions = {}) {
    super();
    this.setMaxListeners(0); // one listener per torrent (the engine's dht/peer-source.ts)
    this.opts = options;
    if (options.nodeId && options.nodeId.length !== NODE_ID_LENGTH)
      throw new Error('nodeId must be 20 bytes');
    this._nodeId = options.nodeId ?? randomBytes(NODE_ID_LENGTH);
  }

  get nodeId(): Buffer {
    return this._nodeId;
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  /** The bootstrap nodes it was given, as given (`host:port`). */
  get bootstrapNodes(): readonly string[] {
    return this.opts.bootstrap ?? [];
  }

  /** Binds the socket, reloads the saved table and joins the network. */
  async start(): Promise<void> {
    await this.listen();
    if (this.joined) return;
    this.joined = true;
    // saved nodes are pinged back in; then one lookup of our own id fills the table
    const saved = this.saved.splice(0, 64);
    this.saved = [];
    await Promise.all(saved.map((n) => this.ask(n, 'ping', {})));
    await this.bootstrap();
  }

  /**
   * Binds the socket and reloads the saved table, without waiting for the network: a tracker
   * fails its start on a taken port here, then joins (`start`) in the background.
   */
  async listen(): Promise<void> {
    if (this.socket) return;
    if (this.opts.dataDir) {
      this.db = new DhtDb(this.opts.dataDir);
      await this.db.open();
      const s = await this.db.load();
      this.saved = s.nodes;
      if (!this.opts.nodeId && s.nodeId) this._nodeId = s.nodeId;
    }
    if (
      !this.opts.nodeId &&
      this.opts.externalIp &&
      !nodeIdMatchesAddress(this._nodeId, this.opts.externalIp)
    ) {
      this._nodeId = nodeIdForAddress(this.opts.externalIp, randomBytes(NODE_ID_LENGTH));
    }
    this.table4 = new RoutingTable(this._nodeId, this.tableOptions(), Date.now());
    this.table6 = new RoutingTable(this._nodeId, this.tableOptions(), Date.now());
    const socket = new KrpcSocket({
      host: this.opts.host,
      port: this.opts.port ?? 0,
      readOnly: this.opts.readOnly ?? false,
      rateLimit: this.opts.rateLimit,
      queryTimeoutMs: this.opts.queryTimeoutMs,
    });
    try {
      await socket.bind();
    } catch (err) {
      await this.db?.close();
      this.db = undefined;
      throw err;
    }
    this.socket = socket;
    this.responder = new QueryResponder(
      {
        nodeId: () => this._nodeId,
        closest: (family, target, n, now) =>
          (family === 4 ? this.table4 : this.table6).closest(target, n, now),
        onAnnounce: (infoHash, peer) => this.emit('announce', infoHash, peer),
      },
      socket,
      this.store,
    );
    this.socket.on('query', (q, from) => this.onQuery(q, from));
    this.timer = setInterval(() => this.maintain(), this.opts.maintenanceMs ?? 60_000);
    this.timer.unref();
    this.lastSave = Date.now();
  }

  /**
   * Looks up our own id from the table's nodes and the bootstrap routers; resolves with the
   * table's size afterwards.
   */
  async bootstrap(): Promise<number> {
    const routers = await this.routers();
    const seeds = [...this.closestKnown(this._nodeId, 16), ...routers];
    if (seeds.length > 0) await this.runLookup(this._nodeId, 'find_node', seeds);
    return this.nodeCount;
  }

  /** Pings a node; if it answers it may enter the table. */
  async addNode(host: string, port: number): Promise<boolean> {
    const ip = (await dnsLookup(host)).address;
    return (await this.ask({ id: Buffer.alloc(NODE_ID_LENGTH), ip, port }, 'ping', {})) !== null;
  }

  /** Finds peers of a torrent (get_peers lookup). Also emits them as `peers` while it runs. */
  async lookup(infoHash: Buffer): Promise<LookupResult> {
    checkHash(infoHash);
    this.lookups++;
    return this.runLookup(infoHash, 'get_peers', await this.seedsFor(infoHash));
  }

  /**
   * Finds peers of a torrent and announces us on `port` (0: the DHT port, as `implied_port`) to
   * the closest nodes that handed out a token.
   */
  async announce(infoHash: Buffer, port: number): Promise<LookupResult & { announcedTo: number }> {
    checkHash(infoHash);
    this.announces++;
    const result = await this.runLookup(infoHash, 'get_peers', await this.seedsFor(infoHash));
    const withToken = result.closest.filter((n) => n.token);
    const answers = await Promise.all(
      withToken.map((n) =>
        this.ask(n, 'announce_peer', {
          infoHash,
          token: n.token,
          port: port || this.port,
          impliedPort: port === 0,
        }),
      ),
    );
    return { ...result, announcedTo: answers.filter((a) => a !== null).length };
  }

  /** BEP 51: asks one node for a sample of the info-hashes it stores. */
  async sampleInfohashes(
    node: PeerAddress,
    target: Buffer = randomBytes(20),
  ): Promise<SampleResult> {
    const a = await this.ask({ id: Buffer.alloc(20), ...node }, 'sample_infohashes', { target });
    if (!a) throw new Error(`no answer from ${node.ip}:${node.port}`);
    const b = a.response.body;
    return {
      samples: b.samples ?? [],
      num: b.num,
      interval: b.interval,
      nodes: [...(b.nodes ?? []), ...(b.nodes6 ?? [])],
    };
  }

  get nodeCount(): number {
    return (this.table4?.size ?? 0) + (this.table6?.size ?? 0);
  }

  /** The nodes of the routing tables (for saving, tests and the GUI). */
  nodes(): NodeInfo[] {
    if (!this.table4) return [];
    return [...this.table4.nodes(), ...this.table6.nodes()].map((n) => ({
      id: n.id,
      ip: n.ip,
      port: n.port,
    }));
  }

  /** Our external address as most answering nodes report it (BEP 42 `ip`), if any. */
  get externalIp(): string | undefined {
    return this.ipVotes.best;
  }

  stats(): DhtStats {
    const now = Date.now();
    const good = (t: RoutingTable | undefined) =>
      t ? t.nodes().filter((n) => t.state(n, now) === 'good').length : 0;
    return {
      nodeId: this._nodeId.toString('hex'),
      port: this.port,
      nodes: this.nodeCount,
      nodes4: this.table4?.size ?? 0,
      nodes6: this.table6?.size ?? 0,
      goodNodes: good(this.table4) + good(this.table6),
      storedTorrents: this.store.torrentCount,
      storedPeers: this.store.size,
      lookups: this.lookups,
      announces: this.announces,
      counters: {
        ...(this.socket?.counters ?? ({} as SocketCounters)),
        rejectedNodes: this.rejectedNodes,
        badTokens: this.responder?.badTokens ?? 0,
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.socket?.close();
    if (this.db) {
      await this.save().catch(() => undefined);
      await this.db.close();
    }
  }

  // -------------------------------------------------------------------------------------------

  private async save(): Promise<void> {
    if (!this.db || !this.table4) return;
    this.lastSave = Date.now();
    await this.db.save(this._nodeId, this.nodes());
  }

  private tableOptions(): RoutingTableOptions {
    return {
      maxPerIpPerBucket: this.opts.maxPerIpPerBucket,
      enforceNodeId: this.opts.enforceNodeId,
    };
  }

  /** Nodes list us too: never query ourselves. */
  private isSelf(n: NodeInfo): boolean {
    if (n.id.equals(this._nodeId)) return true;
    const a = this.socket!.address();
    return n.port === a.port && (n.ip === a.ip || n.ip === this.externalIp);
  }

  private tableFor(ip: string): RoutingTable {
    return ip.includes(':') ? this.table6 : this.table4;
  }

  private want(): Want[] | undefined {
    return this.socket?.address().dualStack ? ['n4', 'n6'] : undefined;
  }

  private closestKnown(target: Buffer, n: number): NodeInfo[] {
    const now = Date.now();
    return [...this.table4.closest(target, n, now), ...this.table6.closest(target, n, now)];
  }

  private async seedsFor(target: Buffer): Promise<NodeInfo[]> {
    const known = this.closestKnown(target, 16);
    return known.length >= 8 ? known : [...known, ...(await this.routers())];
  }

  /** Bootstrap routers as seeds; their ids are unknown until they answer. */
  private routers(): Promise<NodeInfo[]> {
    return resolveRouters(this.opts.bootstrap ?? [], this.opts.logger);
  }

  private runLookup(
    target: Buffer,
    method: 'get_peers' | 'find_node',
    seeds: NodeInfo[],
  ): Promise<LookupResult> {
    const want = this.want();
    return iterativeLookup({
      target,
      seeds,
      alpha: this.opts.alpha ?? ALPHA,
      accept: (n) => !this.isSelf(n) && this.socket!.canReach(n.ip),
      ask: async (n) => {
        const args: Omit<QueryArgs, 'id'> =
          method === 'get_peers' ? { infoHash: target, want } : { target, want };
        const a = await this.ask(n, method, args);
        if (!a) return null;
        const b = a.response.body;
        return {
          id: b.id,
          nodes: [...(b.nodes ?? []), ...(b.nodes6 ?? [])],
          values: b.values,
          token: b.token,
        };
      },
      onPeers: method === 'get_peers' ? (peers) => this.emit('peers', target, peers) : undefined,
    });
  }

  /** Sends a query; feeds the answer (or the silence) to the routing table. Null on failure. */
  private async ask(
    node: NodeInfo,
    method: KrpcMethod,
    args: Omit<QueryArgs, 'id'>,
  ): Promise<Answer | null> {
    if (!this.socket || this.closed) return null;
    try {
      const a = await this.socket.query(node, method, { ...args, id: this._nodeId });
      this.onAnswer(a);
      return a;
    } catch (err) {
      if (err instanceof QueryError && err.reason === 'timeout') {
        this.tableFor(node.ip)?.onTimeout(node.id, Date.now());
      }
      return null;
    }
  }

  private onAnswer(a: Answer): void {
    const now = Date.now();
    const r = this.tableFor(a.from.ip).onResponse({ id: a.response.body.id, ...a.from }, now);
    if (r.result === 'rejected') this.rejectedNodes++;
    if (r.result === 'full') void this.ask(r.ping, 'ping', {});
    if (a.response.ip) this.vote(a.response.ip.ip, a.from.ip);
  }

  /**
   * BEP 42 for ourselves: once VOTES_FOR_ID distinct nodes agree on a public external address our
   * id does not fit, take an id derived from it (unless the id was given), keeping the table.
   */
  private vote(external: string, voter: string): void {
    const voters = this.ipVotes.vote(external, voter);
    if (
      this.opts.nodeId ||
      voters < VOTES_FOR_ID ||
      this.externalIp !== external ||
      isLocalAddress(external) ||
      nodeIdMatchesAddress(this._nodeId, external)
    ) {
      return;
    }
    this._nodeId = nodeIdForAddress(external, randomBytes(NODE_ID_LENGTH));
    const now = Date.now();
    const rebuild = (old: RoutingTable) => {
      const t = new RoutingTable(this._nodeId, this.tableOptions(), now);
      for (const n of old.nodes()) if (n.lastResponse > 0) t.onResponse(n, n.lastResponse);
      return t;
    };
    this.table4 = rebuild(this.table4);
    this.table6 = rebuild(this.table6);
    this.opts.logger?.info(
      { external, nodeId: this._nodeId.toString('hex') },
      'dht: node id follows BEP 42',
    );
  }

  private onQuery(q: KrpcQuery, from: PeerAddress): void {
    if (this.opts.readOnly || this.closed) return; // BEP 43: a read-only node does not answer
    this.responder!.answer(q, from);
    if (q.readOnly) return; // BEP 43: read-only nodes stay out of the table
    const info = { id: q.args.id, ...from };
    const r = this.tableFor(from.ip).onQuery(info, Date.now());
    if (r.result === 'candidate') this.pingCandidate(info);
    else if (r.result === 'rejected') this.rejectedNodes++;
  }

  /** An unknown node queried us: ping it once, so its answer can place it in the table. */
  private pingCandidate(info: NodeInfo): void {
    const key = `${info.ip}|${info.port}`;
    if (this.candidatePings.has(key) || this.candidatePings.size >= MAX_CANDIDATE_PINGS) return;
    this.candidatePings.add(key);
    void this.ask(info, 'ping', {}).finally(() => this.candidatePings.delete(key));
  }

  private maintain(): void {
    if (this.closed || !this.socket) return;
    const now = Date.now();
    this.store.purge(now);
    for (const n of [...this.table4.questionable(now, 8), ...this.table6.questionable(now, 8)]) {
      void this.ask(n, 'ping', {});
    }
    if (!this.refreshing) {
      this.refreshing = true;
      const targets = [
        ...this.table4.refreshTargets(now, () => randomBytes(20)),
        ...this.table6.refreshTargets(now, () => randomBytes(20)),
      ].slice(0, 8);
      const work = this.nodeCount < 8 ? [this.bootstrap()] : [];
      for (const t of targets)
        work.push(this.runLookup(t, 'find_node', this.closestKnown(t, 8)).then(() => 0));
      void Promise.all(work)
        .catch(() => 0)
        .finally(() => (this.refreshing = false));
    }
    if (now - this.lastSave >= SAVE_EVERY_MS) {
      this.save().catch((err) =>
        this.opts.logger?.warn({ err: (err as Error).message }, 'dht save failed'),
      );
    }
  }
}

function checkHash(h: Buffer): void {
  if (h.length !== 20) throw new Error('info-hash must be 20 bytes');
}
