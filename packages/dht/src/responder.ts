/**
 * The server half of a DHT node: answers KRPC queries (BEP 5, BEP 32 `want`, BEP 51
 * `sample_infohashes`) from the node's routing tables and peer store, hands out announce tokens
 * and checks them. Whether to answer at all (BEP 43 read-only) and what the query teaches the
 * routing table are the node's business (dht.ts).
 */
import {
  KRPC_METHOD_UNKNOWN,
  KRPC_PROTOCOL_ERROR,
  type KrpcQuery,
  type NodeInfo,
  type PeerAddress,
  type Want,
} from '@enjambre/bittorrent';
import type { KrpcSocket } from './krpc-socket';
import type { PeerStore } from './peer-store';
import { TokenManager } from './tokens';

/** Peers per get_peers answer: what fits a UDP packet with room to spare. */
const VALUES_PER_ANSWER = { 4: 50, 6: 25 } as const;
const SAMPLES_PER_ANSWER = 20;
/** Nodes per find_node / get_peers answer and family (k). */
const NODES_PER_ANSWER = 8;

/** What the responder reads from the node, which may change while it runs (BEP 42 ids). */
export interface ResponderNode {
  nodeId(): Buffer;
  closest(family: 4 | 6, target: Buffer, n: number, now: number): NodeInfo[];
  /** A peer announced itself with a valid token (it is stored already). */
  onAnnounce(infoHash: Buffer, peer: PeerAddress): void;
}

export class QueryResponder {
  /** announce_peer queries refused for a token we did not give that address, or an old one. */
  badTokens = 0;
  private readonly tokens = new TokenManager(Date.now());

  constructor(
    private readonly node: ResponderNode,
    private readonly socket: KrpcSocket,
    private readonly store: PeerStore,
  ) {}

  answer(q: KrpcQuery, from: PeerAddress): void {
    const socket = this.socket;
    const now = Date.now();
    const body = { id: this.node.nodeId() };
    switch (q.method) {
      case 'ping':
        return socket.respond(from, q.t, body);
      case 'find_node':
        return socket.respond(from, q.t, {
          ...body,
          ...this.nodesFor(q.args.target!, from, q.args.want, now),
        });
      case 'get_peers': {
        const family = from.ip.includes(':') ? 6 : 4;
        const values = this.store.get(q.args.infoHash!, VALUES_PER_ANSWER[family], now, family);
        return socket.respond(from, q.t, {
          ...body,
          token: this.tokens.issue(from.ip, now),
          ...this.nodesFor(q.args.infoHash!, from, q.args.want, now),
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
        this.node.onAnnounce(q.args.infoHash!, peer);
        return socket.respond(from, q.t, body);
      }
      case 'sample_infohashes':
        return socket.respond(from, q.t, {
          ...body,
          ...this.nodesFor(q.args.target!, from, q.args.want, now),
          interval: 300,
          num: this.store.torrentCount,
          samples: this.store.sample(SAMPLES_PER_ANSWER),
        });
      default:
        return socket.error(from, q.t, KRPC_METHOD_UNKNOWN, 'Method Unknown');
    }
  }

  /** BEP 32: the families the querier asked for, else its own. */
  private nodesFor(
    target: Buffer,
    from: PeerAddress,
    want: Want[] | undefined,
    now: number,
  ): { nodes?: NodeInfo[]; nodes6?: NodeInfo[] } {
    const w = want && want.length > 0 ? want : [from.ip.includes(':') ? 'n6' : 'n4'];
    return {
      ...(w.includes('n4') && { nodes: this.node.closest(4, target, NODES_PER_ANSWER, now) }),
      ...(w.includes('n6') && { nodes6: this.node.closest(6, target, NODES_PER_ANSWER, now) }),
    };
  }
}
