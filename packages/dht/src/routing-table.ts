/**
 * The Kademlia routing table of a DHT node (BEP 5): pure, time passed in, no I/O. The invariants
 * it keeps are listed in STATE.md beside it.
 *
 * The table is flat: bucket i holds the nodes whose ids share exactly i leading bits with ours,
 * which is the set a splitting table's buckets converge to. Buckets far from our id fill first
 * and stay full; the deep ones stay sparse.
 */
import {
  commonPrefixLength,
  compareDistance,
  isLocalAddress,
  nodeIdMatchesAddress,
  NODE_ID_LENGTH,
  type NodeInfo,
} from '@enjambre/bittorrent';

export const K = 8;
/** A node that answered within this time is good (BEP 5: 15 minutes). */
export const GOOD_FOR_MS = 15 * 60_000;
/** A bucket untouched this long is refreshed with a lookup of a random id in it. */
export const REFRESH_AFTER_MS = 15 * 60_000;
/** Unanswered queries in a row after which a node is bad. */
export const BAD_AFTER_FAILURES = 2;
const ID_BITS = NODE_ID_LENGTH * 8;

export type NodeState = 'good' | 'questionable' | 'bad';

export interface TableNode {
  readonly id: Buffer;
  readonly ip: string;
  readonly port: number;
  /** When it last answered one of our queries (0: never). */
  lastResponse: number;
  /** When we last heard from it at all (answer or query). */
  lastSeen: number;
  /** Unanswered queries since its last answer. */
  failures: number;
}

export interface RoutingTableOptions {
  k?: number;
  /** Nodes of one IP in one bucket (its main list and replacements together). Default 2. */
  maxPerIpPerBucket?: number;
  /** Refuse public addresses whose id breaks BEP 42. Default true. */
  enforceNodeId?: boolean;
}

export type InsertResult =
  | { result: 'added' | 'updated' | 'replacement' }
  | { result: 'full'; ping: TableNode }
  | { result: 'candidate' }
  | { result: 'rejected'; reason: RejectReason };

export type RejectReason =
  'own-id' | 'bad-id' | 'bad-port' | 'node-id' | 'ip-limit' | 'id-moved' | 'full';

interface Bucket {
  nodes: TableNode[];
  replacements: TableNode[];
  lastChanged: number;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

export class RoutingTable {
  readonly k: number;
  private readonly maxPerIp: number;
  private readonly enforceNodeId: boolean;
  private readonly buckets: Bucket[] = [];
  private count = 0;

  constructor(
    readonly ownId: Buffer,
    options: RoutingTableOptions = {},
    now = 0,
  ) {
    if (ownId.length !== NODE_ID_LENGTH) throw new RangeError('node id must be 20 bytes');
    this.k = options.k ?? K;
    this.maxPerIp = options.maxPerIpPerBucket ?? 2;
    this.enforceNodeId = options.enforceNodeId ?? true;
    for (let i = 0; i < ID_BITS; i++)
      this.buckets.push({ nodes: [], replacements: [], lastChanged: now });
  }

  /** Nodes in the buckets (replacements not counted). */
  get size(): number {
    return this.count;
  }

  state(n: TableNode, now: number): NodeState {
    if (n.failures >= BAD_AFTER_FAILURES || (n.failures > 0 && n.lastResponse === 0)) return 'bad';
    if (
      n.lastResponse > 0 &&
      now - n.lastSeen < GOOD_FOR_MS &&
      now - n.lastResponse < 4 * GOOD_FOR_MS
    ) {
      return 'good';
    }
    return 'questionable';
  }

  /** Why a node may never enter, or undefined. */
  check(info: NodeInfo): RejectReason | undefined {
    if (info.id.length !== NODE_ID_LENGTH) return 'bad-id';
    if (sameId(info.id, this.ownId)) return 'own-id';
    if (!Number.isInteger(info.port) || info.port < 1 || info.port > 0xffff) return 'bad-port';
    if (this.enforceNodeId && !isLocalAddress(info.ip) && !nodeIdMatchesAddress(info.id, info.ip)) {
      return 'node-id';
    }
    return undefined;
  }

  find(id: Uint8Array): TableNode | undefined {
    if (id.length !== NODE_ID_LENGTH || sameId(id, this.ownId)) return undefined;
    return this.bucketOf(id).nodes.find((n) => sameId(n.id, id));
  }

  /** A node answered our query from `info`'s address: it may enter (BEP 5: only verified nodes). */
  onResponse(info: NodeInfo, now: number): InsertResult {
    const reason = this.check(info);
    if (reason) return { result: 'rejected', reason };
    const bucket = this.bucketOf(info.id);
    const known = bucket.nodes.find((n) => sameId(n.id, info.id));
    if (known) {
      if (known.ip !== info.ip || known.port !== info.port)
        return { result: 'rejected', reason: 'id-moved' };
      known.lastResponse = now;
      known.lastSeen = now;
      known.failures = 0;
      bucket.lastChanged = now;
      return { result: 'updated' };
    }
    // The same address under a new id is a restarted node: the old entry is stale.
    this.removeEndpoint(info.ip, info.port);
    const repl = bucket.replacements.findIndex((n) => sameId(n.id, info.id));
    if (repl >= 0) bucket.replacements.splice(repl, 1);
    if (this.ipCount(bucket, info.ip) >= this.maxPerIp)
      return { result: 'rejected', reason: 'ip-limit' };
    const node: TableNode = {
      id: Buffer.from(info.id),
      ip: info.ip,
      port: info.port,
      lastResponse: now,
      lastSeen: now,
      failures: 0,
    };
    if (bucket.nodes.length < this.k) {
      bucket.nodes.push(node);
      this.count++;
      bucket.lastChanged = now;
      return { result: 'added' };
    }
    const bad = bucket.nodes.findIndex((n) => this.state(n, now) === 'bad');
    if (bad >= 0) {
      bucket.nodes[bad] = node;
      bucket.lastChanged = now;
      return { result: 'added' };
    }
    this.addReplacement(bucket, node);
    let oldest: TableNode | undefined;
    for (const n of bucket.nodes) {
      if (this.state(n, now) === 'questionable' && (!oldest || n.lastSeen < oldest.lastSeen))
        oldest = n;
    }
    return oldest ? { result: 'full', ping: oldest } : { result: 'replacement' };
  }

  /**
   * A node sent us a query. A known node counts as seen; an unknown one is only a `candidate`
   * the caller may ping (its answer then goes through `onResponse`). Read-only nodes (BEP 43)
   * never get here: the caller skips them.
   */
  onQuery(info: NodeInfo, now: number): InsertResult {
    const reason = this.check(info);
    if (reason) return { result: 'rejected', reason };
    const known = this.find(info.id);
    if (!known) {
      const bucket = this.bucketOf(info.id);
      if (
        bucket.nodes.length >= this.k &&
        bucket.nodes.every((n) => this.state(n, now) === 'good')
      ) {
        return { result: 'rejected', reason: 'full' };
      }
      return { result: 'candidate' };
    }
    if (known.ip !== info.ip || known.port !== info.port)
      return { result: 'rejected', reason: 'id-moved' };
    known.lastSeen = now;
    return { result: 'updated' };
  }

  /** A query to `id` went unanswered. A node that turns bad gives way to its newest replacement. */
  onTimeout(id: Uint8Array, now: number): void {
    if (id.length !== NODE_ID_LENGTH || sameId(id, this.ownId)) return;
    const bucket = this.bucketOf(id);
    const i = bucket.nodes.findIndex((n) => sameId(n.id, id));
    if (i < 0) {
      const r = bucket.replacements.findIndex((n) => sameId(n.id, id));
      if (r >= 0) bucket.replacements.splice(r, 1);
      return;
    }
    const node = bucket.nodes[i];
    node.failures++;
    if (this.state(node, now) === 'bad' && bucket.replacements.length > 0) {
      bucket.nodes[i] = bucket.replacements.pop()!;
      bucket.lastChanged = now;
    }
  }

  remove(id: Uint8Array): boolean {
    if (id.length !== NODE_ID_LENGTH || sameId(id, this.ownId)) return false;
    const bucket = this.bucketOf(id);
    const i = bucket.nodes.findIndex((n) => sameId(n.id, id));
    if (i < 0) return false;
    bucket.nodes.splice(i, 1);
    this.count--;
    if (bucket.replacements.length > 0) {
      bucket.nodes.push(bucket.replacements.pop()!);
      this.count++;
    }
    return true;
  }

  /** Up to `n` nodes closest to `target`, nearest first, bad ones left out. */
  closest(target: Uint8Array, n: number, now: number): TableNode[] {
    const all: TableNode[] = [];
    for (const b of this.buckets)
      for (const node of b.nodes) if (this.state(node, now) !== 'bad') all.push(node);
    all.sort((a, b) => compareDistance(target, a.id, b.id));
    return all.slice(0, n);
  }

  /** Every node in the buckets. */
  nodes(): TableNode[] {
    const out: TableNode[] = [];
    for (const b of this.buckets) out.push(...b.nodes);
    return out;
  }

  /** Nodes worth a ping: questionable ones, least recently seen first. */
  questionable(now: number, max: number): TableNode[] {
    return this.nodes()
      .filter((n) => this.state(n, now) === 'questionable')
      .sort((a, b) => a.lastSeen - b.lastSeen)
      .slice(0, max);
  }

  /**
   * Targets for the buckets that need a refresh (untouched for REFRESH_AFTER_MS), from the
   * farthest down to one past the deepest non-empty bucket; `random` gives 20 fresh bytes each.
   * Calling it marks those buckets as refreshed.
   */
  refreshTargets(now: number, random: () => Buffer): Buffer[] {
    let deepest = 0;
    for (let i = 0; i < ID_BITS; i++) if (this.buckets[i].nodes.length > 0) deepest = i;
    const out: Buffer[] = [];
    for (let i = 0; i <= Math.min(deepest + 1, ID_BITS - 1); i++) {
      const b = this.buckets[i];
      if (now - b.lastChanged < REFRESH_AFTER_MS) continue;
      b.lastChanged = now;
      out.push(this.randomIdInBucket(i, random()));
    }
    return out;
  }

  /** An id sharing exactly `i` leading bits with ours. */
  randomIdInBucket(i: number, random: Buffer): Buffer {
    const id = Buffer.from(random.subarray(0, NODE_ID_LENGTH));
    for (let bit = 0; bit <= i; bit++) {
      const byte = bit >> 3;
      const mask = 0x80 >> (bit & 7);
      const own = this.ownId[byte] & mask;
      const want = bit < i ? own : own ^ mask;
      id[byte] = (id[byte] & ~mask) | want;
    }
    return id;
  }

  /** Index of the bucket `id` belongs in (0..159). */
  bucketIndex(id: Uint8Array): number {
    return commonPrefixLength(this.ownId, id);
  }

  /** Read access for tests and STATE.md checks. */
  bucketContents(i: number): { nodes: readonly TableNode[]; replacements: readonly TableNode[] } {
    return this.buckets[i];
  }

  private bucketOf(id: Uint8Array): Bucket {
    return this.buckets[this.bucketIndex(id)];
  }

  private ipCount(b: Bucket, ip: string): number {
    let c = 0;
    for (const n of b.nodes) if (n.ip === ip) c++;
    for (const n of b.replacements) if (n.ip === ip) c++;
    return c;
  }

  private addReplacement(b: Bucket, node: TableNode): void {
    b.replacements.push(node);
    if (b.replacements.length > this.k) b.replacements.shift();
  }

  private removeEndpoint(ip: string, port: number): void {
    for (const b of this.buckets) {
      const i = b.nodes.findIndex((n) => n.ip === ip && n.port === port);
      if (i >= 0) {
        b.nodes.splice(i, 1);
        this.count--;
        if (b.replacements.length > 0) {
          b.nodes.push(b.replacements.pop()!);
          this.count++;
        }
      }
      const r = b.replacements.findIndex((n) => n.ip === ip && n.port === port);
      if (r >= 0) b.replacements.splice(r, 1);
    }
  }
}
