/**
 * The iterative Kademlia lookup (BEP 5 get_peers / find_node): keep the candidates sorted by
 * XOR distance to the target, query the closest not yet asked, at most `alpha` at a time, and
 * stop when the k closest live candidates have all answered (or nobody closer is left to ask).
 * The transport is a function, so the algorithm is tested without sockets.
 */
import { compareDistance, type NodeInfo, type PeerAddress } from '@enjambre/bittorrent';

export const ALPHA = 3;

export interface LookupAnswer {
  /** The id the node answered with (a bootstrap router's is unknown until then). */
  id?: Buffer;
  nodes: NodeInfo[];
  values?: PeerAddress[];
  token?: Buffer;
}

export interface LookupOptions {
  target: Buffer;
  /** Where to start: the closest nodes of the routing table, or bootstrap nodes. */
  seeds: NodeInfo[];
  /** Asks one node; null (or a rejection) when it did not answer. */
  ask: (node: NodeInfo) => Promise<LookupAnswer | null>;
  alpha?: number;
  k?: number;
  /** Upper bound on queries sent by one lookup. Default 150. */
  maxQueries?: number;
  /** Candidates kept (the closest ones). Default 100. */
  maxCandidates?: number;
  /** Called with each batch of new peers as they arrive. */
  onPeers?: (peers: PeerAddress[]) => void;
  /** Whether a node may be asked at all (e.g. an address family we cannot reach). */
  accept?: (node: NodeInfo) => boolean;
}

export interface ClosestNode extends NodeInfo {
  /** The announce token it gave us (get_peers). */
  token?: Buffer;
}

export interface LookupResult {
  /** The k closest nodes that answered, nearest first. */
  closest: ClosestNode[];
  peers: PeerAddress[];
  queries: number;
  answered: number;
}

interface Candidate {
  node: NodeInfo;
  state: 'new' | 'asking' | 'answered' | 'failed';
  token?: Buffer;
}

export function iterativeLookup(o: LookupOptions): Promise<LookupResult> {
  const alpha = o.alpha ?? ALPHA;
  const k = o.k ?? 8;
  const maxQueries = o.maxQueries ?? 150;
  const maxCandidates = o.maxCandidates ?? 100;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const peers = new Map<string, PeerAddress>();
  let queries = 0;
  let answered = 0;
  let inFlight = 0;

  const add = (n: NodeInfo) => {
    const idKey = n.id.toString('hex');
    const epKey = `${n.ip}|${n.port}`;
    if (seen.has(idKey) || seen.has(epKey) || n.port === 0) return;
    if (o.accept && !o.accept(n)) return;
    seen.add(idKey);
    seen.add(epKey);
    candidates.push({ node: n, state: 'new' });
  };
  for (const s of o.seeds) add(s);

  return new Promise<LookupResult>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const closest = candidates
        .filter((c) => c.state === 'answered')
        .slice(0, k)
        .map((c) => ({ ...c.node, ...(c.token && { token: c.token }) }));
      resolve({ closest, peers: [...peers.values()], queries, answered });
    };

    const step = () => {
      if (done) return;
      candidates.sort((a, b) => compareDistance(o.target, a.node.id, b.node.id));
      if (candidates.length > maxCandidates) {
        // drop far candidates that are not in flight
        for (let i = candidates.length - 1; i >= maxCandidates; i--) {
          if (candidates[i].state !== 'asking') candidates.splice(i, 1);
        }
      }
      // the window is the k closest candidates that have not failed
      let live = 0;
      for (const c of candidates) {
        if (live >= k || inFlight >= alpha || queries >= maxQueries) break;
        if (c.state === 'failed') continue;
        live++;
        if (c.state !== 'new') continue;
        c.state = 'asking';
        inFlight++;
        queries++;
        o.ask(c.node)
          .catch(() => null)
          .then((answer) => {
            inFlight--;
            if (!answer) {
              c.state = 'failed';
            } else {
              c.state = 'answered';
              answered++;
              if (answer.id && !answer.id.equals(c.node.id)) c.node = { ...c.node, id: answer.id };
              if (answer.token) c.token = answer.token;
              for (const n of answer.nodes) add(n);
              const fresh: PeerAddress[] = [];
              for (const p of answer.values ?? []) {
                const key = `${p.ip}|${p.port}`;
                if (!peers.has(key) && peers.size < 1000) {
                  peers.set(key, p);
                  fresh.push(p);
                }
              }
              if (fresh.length > 0) o.onPeers?.(fresh);
            }
            step();
          });
      }
      if (inFlight === 0) finish();
    };
    step();
  });
}
