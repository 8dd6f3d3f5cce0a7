// Convergence: replicas that receive the same changes in any order, with duplicates, end with the
// same store (the property replication rests on; see STATE.md).
import fc from 'fast-check';
import { MemorySwarmStore } from '../store/memory';
import { Tombstones, applyIncoming } from './merge';
import type { IncomingChange } from './records';

const hash = (n: number) => Buffer.alloc(20, n);
const peerId = (n: number) => Buffer.alloc(20, 100 + n);
const T0 = 1_000_000;

const change = fc.oneof(
  fc.record({
    kind: fc.constant('peer' as const),
    t: fc.nat(1000),
    p: fc.nat(4),
    h: fc.nat(2),
    left: fc.nat(2),
  }),
  fc.record({ kind: fc.constant('removed' as const), t: fc.nat(1000), p: fc.nat(4), h: fc.nat(2) }),
  fc.record({
    kind: fc.constant('completed' as const),
    origin: fc.constantFrom('aa', 'bb', 'cc'),
    count: fc.nat(5),
    h: fc.nat(2),
  }),
  fc.record({
    kind: fc.constant('catalog' as const),
    t: fc.nat(1000),
    h: fc.nat(2),
    name: fc.constantFrom('a', 'b'),
  }),
);

type Raw = typeof change extends fc.Arbitrary<infer T> ? T : never;

function toIncoming(c: Raw): IncomingChange {
  const ip = Buffer.from([10, 0, 0, 'p' in c ? c.p : 0]);
  switch (c.kind) {
    case 'peer':
      return {
        kind: 'peer',
        infoHash: hash(c.h),
        event: 'none',
        peer: {
          ip,
          port: 1,
          peerId: peerId(c.p),
          left: c.left,
          uploaded: 0,
          downloaded: 0,
          lastSeen: T0 + c.t,
        },
      };
    case 'removed':
      return {
        kind: 'removed',
        infoHash: hash(c.h),
        ip,
        port: 1,
        peerId: peerId(c.p),
        at: T0 + c.t,
        reason: 'stopped',
      };
    case 'completed':
      return { kind: 'completed', infoHash: hash(c.h), origin: c.origin, count: c.count };
    default:
      return {
        kind: 'catalog',
        infoHash: hash(c.h),
        entry: { name: c.name, totalSize: 1, fileCount: 1, publishedAt: T0 + c.t },
      };
  }
}

function state(changes: IncomingChange[]): unknown {
  const store = new MemorySwarmStore({ now: () => T0 + 2000, origin: 'me' });
  applyIncoming(store, new Tombstones(3_600_000, 1000), changes);
  return [0, 1, 2].map((h) => ({
    counts: store.scrape([hash(h)])[0],
    peers: [...store.snapshot()]
      .filter((s) => s.infoHash.equals(hash(h)))
      .map((s) => ({ catalog: s.catalog, completed: s.completed, peers: sortRecords(s.peers4) })),
  }));
}

/** Peer records as a sorted list (the store's table order depends on arrival). */
function sortRecords(packed: Buffer): string[] {
  const out: string[] = [];
  for (let o = 0; o < packed.length; o += 58) out.push(packed.subarray(o, o + 58).toString('hex'));
  return out.sort();
}

it('ends in the same state whatever the order and duplication of changes', () => {
  fc.assert(
    fc.property(
      fc.array(change, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      (raw, shuffleKeys) => {
        // Distinct timestamps per peer key: a tie between different facts is not a real case.
        const seen = new Set<string>();
        const changes = raw
          .filter((c) => {
            if (!('t' in c) || c.kind === 'catalog') return true;
            const key = `${c.h}:${c.p}:${c.t}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          })
          .map(toIncoming);
        const shuffled = changes
          .map((c, i) => ({ c, k: shuffleKeys[i % Math.max(1, shuffleKeys.length)] ?? i }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.c);
        const duplicated = [...shuffled, ...changes.slice(0, changes.length / 2)];
        expect(state(duplicated)).toEqual(state(changes));
      },
    ),
    { numRuns: 300 },
  );
});
