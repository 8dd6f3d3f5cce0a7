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
  KRPC_METHOD_UNKNOWN,
  KRPC_PROTOCOL_ERROR,
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
import { DhtDb } from './dht-db';
import type { DhtLogger } from './logger';
import { KrpcSocket, QueryError, type Answer, type SocketCounters } from './krpc-socket';
import { ALPHA, iterativeLookup, type LookupResult } from './lookup';
import { PeerStore } from './peer-store';
import { RoutingTable, type RoutingTableOptions } from './routing-table';
import { TokenManager } from './tokens';

export interface DhtOptions {
  /** Address to bind. Default: dual-stack `::` if available, else `0.0.0.0`. */
  host?: string;
  /** UDP port; 0 picks one (see `port`). Default 0. */
  port?: number;
  /** Routers and known nodes to join through, as `host:port` (IPv6 as `[addr]:port`). */
  bootstrap?: string[];
  /** Folder of the LevelDB that keeps our id and routing table; nothing is saved without it. */
  dataDir?: string;
  /** Our node id; default the saved one, else BEP 42's for `externalIp`, else random. */
  nodeId?: Buffer;
  /** Our public IPv4/IPv6 address, if known: the node id is derived from it (BEP 42). */
  externalIp?: string;
  /** BEP 43: ask but never answer, and stay out of others' tables. Default false. */
  readOnly?: boolean;
  /** Refuse public nodes whose id breaks BEP 42. Default true. */
  enforceNodeId?: boolean;
  /** Ids one IP may place in one bucket. Default 2. */
  maxPerIpPerBucket?: number;
  /** Packets per second and burst accepted from one IP. Default 20/s, burst 100. */
  rateLimit?: { rate: number; burst: number };
  queryTimeoutMs?: number;
  /** Queries in flight per lookup. Default 3. */
  alpha?: number;
  /** Period of table upkeep (refresh, pings, saving). Default 60 s. */
  maintenanceMs?: number;
  logger?: DhtLogger;
}

export interface DhtStats {
  nodeId: string;
  port: number;
  nodes: number;
  nodes4: number;
  nodes6: number;
  goodNodes: number;
  storedTorrents: number;
  storedPeers: number;
  lookups: number;
  announces: number;
  counters: SocketCounters & { rejectedNodes: number; badTokens: number };
}

export interface DhtEvents {
  /** Peers found for a torrent, by a lookup or an announce. */
  peers: [infoHash: Buffer, peers: PeerAddress[]];
  /** Another node announced a peer to us. */
  announce: [infoHash: Buffer, peer: PeerAddress];
}

export interface SampleResult {
  samples: Buffer[];
  num?: number;
  interval?: number;
  nodes: NodeInfo[];
}

const VALUES_PER_ANSWER = { 4: 50, 6: 25 } as const;
const SAMPLES_PER_ANSWER = 20;
const SAVE_EVERY_MS = 5 * 60_000;
const MAX_CANDIDATE_PINGS = 32;
/** Distinct nodes that must report the same external address before our id follows it. */
const VOTES_FOR_ID = 3;

/** Splits `host:port` / `[v6]:port`. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`expected HOST:PORT, got ${JSON.stringify(s)}`);
  }
  return { host: m[1], port };
}

export class Dht extends EventEmitter<DhtEvents> {
  private readonly opts: DhtOptions;
  private socket?: KrpcSocket;
  private db?: DhtDb;
  private _nodeId: Buffer;
  private table4!: RoutingTable;
  private table6!: RoutingTable;
  private readonly store = new PeerStore();
  private tokens = new TokenManager(Date.now());
  private readonly candidatePings = new Set<string>();
  /** BEP 42: our external IP as answering nodes see it -> the IPs of the nodes that said so. */
  private readonly ipVotes = new Map<string, Set<string>>();
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
  private badTokens = 0;

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
    let best: string | undefined;
    let count = 0;
    for (const [ip, voters] of this.ipVotes)
      if (voters.size > count) [best, count] = [ip, voters.size];
    return best;
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
        badTokens: this.badTokens,
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
  private async routers(): Promise<NodeInfo[]> {
    const out: NodeInfo[] = [];
    for (const s of this.opts.bootstrap ?? []) {
      try {
        const { host, port } = parseHostPort(s);
        for (const a of await dnsLookup(host, { all: true })) {
          out.push({ id: randomBytes(NODE_ID_LENGTH), ip: a.address, port });
        }
      } catch (err) {
        this.opts.logger?.warn(
          { bootstrap: s, err: (err as Error).message },
          'dht bootstrap node unusable',
        );
      }
    }
    return out;
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
    if (this.ipVotes.size >= 16 && !this.ipVotes.has(external)) this.ipVotes.clear();
    let voters = this.ipVotes.get(external);
    if (!voters) this.ipVotes.set(external, (voters = new Set()));
    if (voters.size < 64) voters.add(voter);
    if (
      this.opts.nodeId ||
      voters.size < VOTES_FOR_ID ||
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
    this.answer(q, from);
    if (q.readOnly) return; // BEP 43: read-only nodes stay out of the table
    const info = { id: q.args.id, ...from };
    const r = this.tableFor(from.ip).onQuery(info, Date.now());
    if (r.result === 'candidate') this.pingCandidate(info);
    else if (r.result === 'rejected') this.rejectedNodes++;
  }

  private answer(q: KrpcQuery, from: PeerAddress): void {
    const socket = this.socket!;
    const now = Date.now();
    const body = { id: this._nodeId };
    switch (q.method) {
      case 'ping':
        return socket.respond(from, q.t, body);
      case 'find_node':
        return socket.respond(from, q.t, {
          ...body,
          ...this.nodesFor(q.args.target!, from, q.args.want),
        });
      case 'get_peers': {
        const family = from.ip.includes(':') ? 6 : 4;
        const values = this.store.get(q.args.infoHash!, VALUES_PER_ANSWER[family], now, family);
        return socket.respond(from, q.t, {
          ...body,
          token: this.tokens.issue(from.ip, now),
          ...this.nodesFor(q.args.infoHash!, from, q.args.want),
          ...(values.length > 0 && { values }),
        });
      }
      case 'announce_peer': {
        if (!this.tokens.check(q.args.token!, from.ip, now)) {
          this.badTokens++;
          return socket.error(from, q.t, KRPC_PROTOCOL_ERROR, 'bad token');
        }
        const peer = { ip: from.ip, port: q.args.impliedPort ? from.port : q.args.port! };
        this.store.add(q.args.infoHash!, peer, now);
        this.emit('announce', q.args.infoHash!, peer);
        return socket.respond(from, q.t, body);
      }
      case 'sample_infohashes':
        return socket.respond(from, q.t, {
          ...body,
          ...this.nodesFor(q.args.target!, from, q.args.want),
          interval: 300,
          num: this.store.torrentCount,
          samples: this.store.sample(SAMPLES_PER_ANSWER),
        });
      default:
        return socket.error(from, q.t, KRPC_METHOD_UNKNOWN, 'Method Unknown');
    }
  }

  private nodesFor(
    target: Buffer,
    from: PeerAddress,
    want: Want[] | undefined,
  ): { nodes?: NodeInfo[]; nodes6?: NodeInfo[] } {
    const now = Date.now();
    const w = want && want.length > 0 ? want : [from.ip.includes(':') ? 'n6' : 'n4'];
    return {
      ...(w.includes('n4') && { nodes: this.table4.closest(target, 8, now) }),
      ...(w.includes('n6') && { nodes6: this.table6.closest(target, 8, now) }),
    };
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
