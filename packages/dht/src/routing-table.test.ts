import fc from 'fast-check';
import {
  commonPrefixLength,
  compareDistance,
  nodeIdForAddress,
  nodeIdMatchesAddress,
} from '@enjambre/bittorrent';
import { PeerStore } from './peer-store';
import { GOOD_FOR_MS, RoutingTable } from './routing-table';
import { TokenManager, TOKEN_ROTATE_MS } from './tokens';

const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));

function checkInvariants(t: RoutingTable, maxPerIp: number, now: number): void {
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  let main = 0;
  for (let i = 0; i < 160; i++) {
    const { nodes, replacements } = t.bucketContents(i);
    expect(nodes.length).toBeLessThanOrEqual(t.k);
    expect(replacements.length).toBeLessThanOrEqual(t.k);
    main += nodes.length;
    const perIp = new Map<string, number>();
    for (const n of [...nodes, ...replacements]) {
      expect(commonPrefixLength(t.ownId, n.id)).toBe(i);
      const hex = n.id.toString('hex');
      expect(ids.has(hex)).toBe(false);
      ids.add(hex);
      const ep = `${n.ip}:${n.port}`;
      expect(endpoints.has(ep)).toBe(false);
      endpoints.add(ep);
      perIp.set(n.ip, (perIp.get(n.ip) ?? 0) + 1);
      expect(nodeIdMatchesAddress(n.id, n.ip)).toBe(true);
    }
    for (const c of perIp.values()) expect(c).toBeLessThanOrEqual(maxPerIp);
  }
  expect(ids.has(t.ownId.toString('hex'))).toBe(false);
  expect(t.size).toBe(main);
  const target = t.ownId;
  const close = t.closest(target, 8, now);
  for (let i = 1; i < close.length; i++) {
    expect(compareDistance(target, close[i - 1].id, close[i].id)).toBeLessThan(0);
  }
  for (const n of close) expect(t.state(n, now)).not.toBe('bad');
}

// Operations on a table, over a small pool of addresses so collisions happen often.
const ips = ['127.0.0.2', '127.0.0.3', '10.0.0.1', '8.8.8.8', '1.1.1.1', '192.168.0.9'];
const op = fc.oneof(
  fc.record({
    kind: fc.constantFrom('response' as const, 'query' as const),
    ip: fc.constantFrom(...ips),
    port: fc.integer({ min: 0, max: 4 }),
    id: bytes20,
    valid42: fc.boolean(),
    nearOwn: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('timeout' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('tick' as const),
    ms: fc.integer({ min: 0, max: 2 * GOOD_FOR_MS }),
  }),
);

describe('RoutingTable invariants (STATE.md)', () => {
  it('hold after every step of random operation sequences', () => {
    fc.assert(
      fc.property(
        bytes20,
        fc.array(op, { maxLength: 300 }),
        fc.integer({ min: 1, max: 3 }),
        (own, ops, maxPerIp) => {
          const t = new RoutingTable(own, { maxPerIpPerBucket: maxPerIp });
          let now = 1;
          for (const o of ops) {
            if (o.kind === 'tick') now += o.ms;
            else if (o.kind === 'timeout' || o.kind === 'remove') {
              const all = t.nodes();
              if (all.length > 0) {
                const n = all[o.pick % all.length];
                if (o.kind === 'timeout') t.onTimeout(n.id, now);
                else t.remove(n.id);
              }
            } else {
              let id: Buffer = o.id;
              // ids close to ours reach the deep buckets; BEP 42 ids for the public addresses
              if (o.nearOwn > 0) id = Buffer.concat([own.subarray(0, 19), id.subarray(19)]);
              if (o.valid42) id = nodeIdForAddress(o.ip, id);
              const info = { id, ip: o.ip, port: 6881 + o.port };
              if (o.kind === 'response') t.onResponse(info, now);
              else t.onQuery(info, now);
            }
            checkInvariants(t, maxPerIp, now);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never evicts good nodes; a full bucket asks to ping a questionable one', () => {
    const own = Buffer.alloc(20, 0);
    const t = new RoutingTable(own, { maxPerIpPerBucket: 8 });
    const far = (i: number) => {
      const id = Buffer.alloc(20, i);
      id[0] = 0x80 | i; // bucket 0
      return id;
    };
    for (let i = 0; i < 8; i++)
      expect(t.onResponse({ id: far(i), ip: `127.0.0.${i + 2}`, port: 1 }, 1).result).toBe('added');
    expect(t.onResponse({ id: far(9), ip: '127.0.1.1', port: 1 }, 2)).toEqual({
      result: 'replacement',
    });
    expect(t.size).toBe(8);
    const later = 2 + GOOD_FOR_MS;
    const r = t.onResponse({ id: far(10), ip: '127.0.1.2', port: 1 }, later);
    expect(r.result).toBe('full');
    if (r.result !== 'full') return;
    // the pinged node stays silent twice: it turns bad and the newest replacement takes its slot
    t.onTimeout(r.ping.id, later);
    t.onTimeout(r.ping.id, later);
    expect(t.find(r.ping.id)).toBeUndefined();
    expect(t.find(far(10))).toBeDefined();
  });

  it('refuses public nodes with a BEP 42-invalid id but not loopback ones', () => {
    const t = new RoutingTable(Buffer.alloc(20, 1));
    const id = Buffer.alloc(20, 0x77);
    expect(t.onResponse({ id, ip: '8.8.8.8', port: 1 }, 1)).toEqual({
      result: 'rejected',
      reason: 'node-id',
    });
    expect(t.onResponse({ id, ip: '127.0.0.9', port: 1 }, 1).result).toBe('added');
    const ok = nodeIdForAddress('8.8.8.8', Buffer.alloc(20, 0x55));
    expect(t.onResponse({ id: ok, ip: '8.8.8.8', port: 1 }, 1).result).toBe('added');
  });

  it('bounds the ids one IP can place in a bucket', () => {
    const t = new RoutingTable(Buffer.alloc(20, 0));
    const results = [];
    for (let i = 0; i < 20; i++) {
      const id = Buffer.alloc(20, i + 1);
      id[0] = 0x80;
      results.push(t.onResponse({ id, ip: '127.0.0.66', port: 1000 + i }, 1).result);
    }
    expect(results.filter((r) => r === 'added')).toHaveLength(2);
    expect(results.filter((r) => r === 'rejected')).toHaveLength(18);
  });

  it('refresh targets fall in the buckets they refresh', () => {
    fc.assert(
      fc.property(bytes20, fc.array(bytes20, { maxLength: 40 }), (own, ids) => {
        const t = new RoutingTable(own, { maxPerIpPerBucket: 100 });
        ids.forEach((id, i) => t.onResponse({ id, ip: '127.0.0.1', port: i + 1 }, 0));
        for (let i = 0; i < 160; i += 7)
          expect(t.bucketIndex(t.randomIdInBucket(i, ids[0] ?? own))).toBe(i);
        const targets = t.refreshTargets(GOOD_FOR_MS * 2, () => Buffer.alloc(20, 0x5a));
        expect(targets.length).toBeGreaterThan(0);
        expect(t.refreshTargets(GOOD_FOR_MS * 2 + 1, () => Buffer.alloc(20))).toHaveLength(0);
      }),
    );
  });
});

describe('TokenManager', () => {
  it('accepts its tokens for 5 to 10 minutes, only from the same IP', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.ipV4(),
        fc.integer({ min: 0, max: 3 * TOKEN_ROTATE_MS }),
        (ip, other, after) => {
          const tm = new TokenManager(0);
          const tok = tm.issue(ip, 0);
          const ok = tm.check(tok, ip, after);
          if (after < TOKEN_ROTATE_MS) expect(ok).toBe(true);
          if (after >= 2 * TOKEN_ROTATE_MS) expect(ok).toBe(false);
          if (other !== ip) expect(new TokenManager(0).check(tok, other, 0)).toBe(false);
          expect(tm.check(tok, other === ip ? ip + 'x' : other, after)).toBe(false);
        },
      ),
    );
  });
  it('rejects a token of another node and garbage', () => {
    const a = new TokenManager(0);
    const b = new TokenManager(0);
    expect(b.check(a.issue('1.2.3.4', 0), '1.2.3.4', 0)).toBe(false);
    expect(a.check(Buffer.alloc(0), '1.2.3.4', 0)).toBe(false);
    expect(a.check(Buffer.alloc(100), '1.2.3.4', 0)).toBe(false);
  });
});

describe('PeerStore', () => {
  it('stays within its bounds and expires announces', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 9 }),
            fc.integer({ min: 1, max: 30 }),
            fc.integer({ min: 0, max: 100 }),
          ),
          { maxLength: 300 },
        ),
        (adds) => {
          const s = new PeerStore({ maxTorrents: 4, maxPeersPerTorrent: 5, ttlMs: 1000 });
          let now = 0;
          for (const [t, port, dt] of adds) {
            now += dt;
            s.add(Buffer.alloc(20, t), { ip: '127.0.0.1', port }, now);
            expect(s.torrentCount).toBeLessThanOrEqual(4);
            expect(s.size).toBeLessThanOrEqual(20);
            expect(s.get(Buffer.alloc(20, t), 100, now).length).toBeLessThanOrEqual(5);
          }
          s.purge(now + 1000);
          expect(s.size).toBe(0);
          expect(s.torrentCount).toBe(0);
        },
      ),
    );
  });
  it('returns peers by family and samples info-hashes', () => {
    const s = new PeerStore();
    const h = Buffer.alloc(20, 3);
    s.add(h, { ip: '127.0.0.1', port: 1 }, 0);
    s.add(h, { ip: '::1', port: 2 }, 0);
    expect(s.get(h, 10, 1, 4)).toEqual([{ ip: '127.0.0.1', port: 1 }]);
    expect(s.get(h, 10, 1, 6)).toEqual([{ ip: '::1', port: 2 }]);
    expect(s.sample(5)).toEqual([h]);
  });
});
