/**
 * The conformance suite every SwarmStore driver must pass (as chihaya's storage_tests.go): call
 * `describeSwarmStore(name, make)` from the driver's test file. Only for use under jest.
 */
import {
  StoreFullError,
  type AnnounceInput,
  type SwarmStore,
  type SwarmStoreLimits,
} from './types';

export interface StoreFactoryOptions {
  now: () => number;
  limits?: Partial<SwarmStoreLimits>;
  origin?: string;
}

export type StoreFactory = (options: StoreFactoryOptions) => SwarmStore;

const hash = (n: number): Buffer => {
  const b = Buffer.alloc(20, 0xab);
  b.writeUInt32BE(n, 0);
  return b;
};
const peerId = (n: number): Buffer => {
  const b = Buffer.alloc(20, 0x2d);
  b.writeUInt32BE(n, 16);
  return b;
};
const v4 = (n: number): Buffer => Buffer.from([10, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const v6 = (n: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt16BE(0x2001, 0);
  b.writeUInt16BE(0x0db8, 2);
  b.writeUInt32BE(n, 12);
  return b;
};

function ann(n: number, over: Partial<AnnounceInput> = {}): AnnounceInput {
  return {
    infoHash: hash(1),
    peerId: peerId(n),
    ip: v4(n),
    port: 6881 + (n % 1000),
    event: 'started',
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    ...over,
  };
}

/** Splits a sample buffer into entries of `size` bytes, as hex. */
function entries(buf: Buffer, size: number): string[] {
  const out: string[] = [];
  for (let o = 0; o < buf.length; o += size) out.push(buf.subarray(o, o + size).toString('hex'));
  return out;
}

const compact4 = (n: number): string =>
  Buffer.concat([
    v4(n),
    Buffer.from([(6881 + (n % 1000)) >> 8, (6881 + (n % 1000)) & 255]),
  ]).toString('hex');

export function describeSwarmStore(name: string, make: StoreFactory): void {
  describe(`SwarmStore conformance: ${name}`, () => {
    let clock: number;
    let store: SwarmStore;
    const now = (): number => clock;
    beforeEach(() => {
      clock = 1_700_000_000_000;
      store = make({ now, limits: { interval: 100, grace: 20, minInterval: 10 } });
    });

    it('counts leechers and seeders and returns the others in compact form', () => {
      const first = store.announce(ann(1));
      expect(first.peers4.length).toBe(0);
      expect([first.seeders, first.leechers]).toEqual([0, 1]);
      expect(first.interval).toBe(100);
      expect(first.minInterval).toBe(10);
      const second = store.announce(ann(2, { left: 0 }));
      expect(entries(second.peers4, 6)).toEqual([compact4(1)]);
      expect([second.seeders, second.leechers]).toEqual([1, 1]);
      expect(store.stats()).toMatchObject({ torrents: 1, seeders: 1, leechers: 1 });
    });

    it('never returns the asker, and includes peer ids when asked', () => {
      for (let n = 1; n <= 5; n++) store.announce(ann(n));
      const r = store.announce(ann(3, { event: 'none', withPeerIds: true }));
      const got = entries(r.peers4, 26);
      expect(got).toHaveLength(4);
      for (const n of [1, 2, 4, 5]) {
        expect(got).toContain(compact4(n) + peerId(n).toString('hex'));
      }
      expect(r.withPeerIds).toBe(true);
    });

    it('gives seeders only leechers', () => {
      store.announce(ann(1, { left: 0 }));
      store.announce(ann(2, { left: 0 }));
      store.announce(ann(3));
      const r = store.announce(ann(4, { left: 0 }));
      expect(entries(r.peers4, 6)).toEqual([compact4(3)]);
      const leecher = store.announce(ann(5));
      expect(entries(leecher.peers4, 6).sort()).toEqual(
        [compact4(1), compact4(2), compact4(3), compact4(4)].sort(),
      );
    });

    it('samples at most numwant distinct peers, capped, default when unset', () => {
      for (let n = 1; n <= 300; n++) store.announce(ann(n, { numwant: 0 }));
      const ten = store.announce(ann(1, { event: 'none', numwant: 10 }));
      const got = entries(ten.peers4, 6);
      expect(got).toHaveLength(10);
      expect(new Set(got).size).toBe(10);
      expect(got).not.toContain(compact4(1));
      expect(entries(store.announce(ann(1, { event: 'none' })).peers4, 6)).toHaveLength(
        store.limits.defaultNumwant,
      );
      expect(
        entries(store.announce(ann(1, { event: 'none', numwant: 100_000 })).peers4, 6),
      ).toHaveLength(store.limits.maxNumwant);
      expect(store.announce(ann(1, { event: 'none', numwant: 0 })).peers4.length).toBe(0);
    });

    it('samples randomly: repeated asks cover the whole swarm', () => {
      for (let n = 1; n <= 100; n++) store.announce(ann(n, { numwant: 0 }));
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        for (const e of entries(store.announce(ann(1, { event: 'none', numwant: 10 })).peers4, 6))
          seen.add(e);
      }
      expect(seen.size).toBe(99);
    });

    it("prefers the asker's address family and can keep to it", () => {
      for (let n = 1; n <= 3; n++) store.announce(ann(n));
      for (let n = 11; n <= 13; n++) store.announce(ann(n, { ip: v6(n) }));
      const r = store.announce(ann(20, { ip: v6(20), numwant: 4 }));
      expect(r.peers6.length).toBe(3 * 18);
      expect(r.peers4.length).toBe(1 * 6);
      const only = store.announce(ann(20, { ip: v6(20), event: 'none', sameFamilyOnly: true }));
      expect(only.peers6.length).toBe(3 * 18);
      expect(only.peers4.length).toBe(0);
      expect(only.peers6.subarray(0, 16).readUInt32BE(0)).toBe(0x20010db8);
    });

    it('identifies a peer by address, port and id', () => {
      store.announce(ann(1));
      store.announce(ann(1, { ip: v4(99) }));
      store.announce(ann(1, { port: 7000 }));
      expect(store.scrape([hash(1)])[0].leechers).toBe(3);
      store.announce(ann(1, { event: 'none' }));
      expect(store.scrape([hash(1)])[0].leechers).toBe(3);
      // A stranger reusing the id from another address does not stop the peer.
      store.announce(ann(1, { ip: v4(500), event: 'stopped' }));
      expect(store.scrape([hash(1)])[0].leechers).toBe(3);
    });

    it('counts a completion once per peer and moves it to the seeders', () => {
      store.announce(ann(1));
      store.announce(ann(1, { event: 'completed', left: 0 }));
      store.announce(ann(1, { event: 'completed', left: 0 }));
      expect(store.scrape([hash(1)])).toEqual([{ seeders: 1, leechers: 0, completed: 1 }]);
      store.announce(ann(2, { event: 'completed', left: 0 }));
      expect(store.scrape([hash(1)])).toEqual([{ seeders: 2, leechers: 0, completed: 2 }]);
    });

    it('removes a stopped peer and forgets an empty swarm; stopping an unknown torrent is a no-op', () => {
      store.announce(ann(1));
      const r = store.announce(ann(1, { event: 'stopped' }));
      expect([r.seeders, r.leechers, r.peers4.length]).toEqual([0, 0, 0]);
      expect(store.stats()).toMatchObject({ torrents: 0, seeders: 0, leechers: 0 });
      store.announce(ann(1, { infoHash: hash(7), event: 'stopped' }));
      expect(store.stats().torrents).toBe(0);
    });

    it('expires silent peers after interval + grace, lazily and by sweep', () => {
      store.announce(ann(1));
      store.announce(ann(2, { infoHash: hash(2) }));
      clock += 60_000;
      store.announce(ann(3));
      clock += 61_000; // peer 1 is 121 s silent > 120 s; peer 3 is 61 s
      const r = store.announce(ann(4));
      expect(entries(r.peers4, 6)).toEqual([compact4(3)]);
      expect(store.scrape([hash(2)])[0].leechers).toBe(1);
      while (!store.sweep(1));
      expect(store.scrape([hash(2)])[0].leechers).toBe(0);
      expect(store.stats()).toMatchObject({ torrents: 1, leechers: 2 });
    });

    it('takes a new peer into a swarm whose peers all expired', () => {
      store.announce(ann(1));
      clock += 500_000;
      store.announce(ann(2));
      expect(store.stats()).toMatchObject({ torrents: 1, leechers: 1 });
      expect(entries(store.announce(ann(3)).peers4, 6)).toEqual([compact4(2)]);
      clock += 500_000;
      store.announce(ann(4, { event: 'stopped' }));
      expect(store.stats()).toMatchObject({ torrents: 0, leechers: 0 });
    });

    it('scrapes unknown torrents as zero, in request order', () => {
      store.announce(ann(1, { left: 0 }));
      expect(store.scrape([hash(9), hash(1)])).toEqual([
        { seeders: 0, leechers: 0, completed: 0 },
        { seeders: 1, leechers: 0, completed: 0 },
      ]);
    });

    it('bounds torrents and peers per torrent', () => {
      store = make({ now, limits: { maxTorrents: 3, maxPeersPerTorrent: 5 } });
      for (let t = 1; t <= 3; t++) store.announce(ann(1, { infoHash: hash(t) }));
      expect(() => store.announce(ann(1, { infoHash: hash(4) }))).toThrow(StoreFullError);
      store.announce(ann(1, { infoHash: hash(1) }));
      for (let n = 2; n <= 10; n++) store.announce(ann(n));
      expect(store.scrape([hash(1)])[0].leechers).toBe(5);
      const late = store.announce(ann(50));
      expect(entries(late.peers4, 6)).toHaveLength(5);
    });

    it('publishes into the catalog as a seeder; lists pages and searches names', () => {
      for (let t = 1; t <= 5; t++) {
        clock += 1;
        const r = store.publish({
          infoHash: hash(t),
          peerId: peerId(t),
          ip: v4(t),
          port: 7000,
          name: t % 2 ? `Debian ISO ${t}` : `holiday photos ${t}`,
          totalSize: 1000 * t,
          fileCount: t,
        });
        expect(r.seeders).toBe(1);
      }
      store.announce(ann(9, { infoHash: hash(3) }));
      expect(store.stats()).toMatchObject({ catalogTorrents: 5, seeders: 5, leechers: 1 });
      const page1 = store.listTorrents({ pageSize: 2 });
      expect(page1.torrents.map((t) => t.name)).toEqual(['Debian ISO 1', 'holiday photos 2']);
      const page2 = store.listTorrents({ pageSize: 2, pageToken: page1.nextPageToken });
      expect(page2.torrents[0]).toMatchObject({
        name: 'Debian ISO 3',
        totalSize: 3000,
        fileCount: 3,
        seeders: 1,
        leechers: 1,
        completed: 0,
      });
      expect(page2.torrents[0].infoHash.equals(hash(3))).toBe(true);
      const page3 = store.listTorrents({ pageSize: 2, pageToken: page2.nextPageToken });
      expect(page3.torrents.map((t) => t.name)).toEqual(['Debian ISO 5']);
      expect(page3.nextPageToken).toBe('');
      const found = store.listTorrents({ pageSize: 10, query: 'debian' });
      expect(found.torrents.map((t) => t.name)).toEqual([
        'Debian ISO 1',
        'Debian ISO 3',
        'Debian ISO 5',
      ]);
      expect(() => store.listTorrents({ pageSize: 2, pageToken: 'garbage' })).toThrow(RangeError);
      // The catalog outlives its seeders.
      clock += 1_000_000;
      while (!store.sweep(100));
      expect(store.listTorrents({ pageSize: 10 }).torrents).toHaveLength(5);
      expect(store.stats()).toMatchObject({ seeders: 0, leechers: 0 });
    });

    it('streams changes that rebuild the same state on another replica, idempotently', () => {
      const changes: Parameters<Parameters<SwarmStore['onChange']>[0]>[0][] = [];
      const off = store.onChange((c) => changes.push(c));
      store.publish({
        infoHash: hash(1),
        peerId: peerId(1),
        ip: v4(1),
        port: 7000,
        name: 'shared',
        totalSize: 10,
        fileCount: 1,
      });
      store.announce(ann(2));
      store.announce(ann(3));
      store.announce(ann(2, { event: 'completed', left: 0 }));
      store.announce(ann(3, { event: 'stopped' }));
      clock += 200_000;
      store.announce(ann(4, { infoHash: hash(2) }));
      store.sweep(100);
      off();
      store.announce(ann(5, { infoHash: hash(2) }));
      expect(changes.map((c) => c.kind)).toEqual(
        expect.arrayContaining(['published', 'peer', 'completed', 'removed']),
      );
      expect(changes.some((c) => c.kind === 'removed' && c.reason === 'expired')).toBe(true);

      const replica = make({ now, limits: { interval: 100, grace: 20 }, origin: 'other' });
      for (const c of changes) replica.apply(c);
      for (const c of changes) replica.apply(c); // duplicates change nothing
      for (const c of [...changes].reverse()) replica.apply(c); // nor does a late replay
      expect(replica.scrape([hash(1), hash(2)])).toEqual([
        { seeders: 0, leechers: 0, completed: 1 },
        { seeders: 0, leechers: 1, completed: 0 },
      ]);
      expect(replica.listTorrents({ pageSize: 5 }).torrents.map((t) => t.name)).toEqual(['shared']);
    });

    it('merges peers last-writer-wins and completed counters per origin', () => {
      const peer = {
        ip: v4(1),
        port: 7000,
        peerId: peerId(1),
        left: 5,
        uploaded: 0,
        downloaded: 0,
        lastSeen: clock,
      };
      store.apply({ kind: 'peer', infoHash: hash(1), event: 'started', peer });
      store.apply({
        kind: 'removed',
        infoHash: hash(1),
        ip: peer.ip,
        port: peer.port,
        peerId: peer.peerId,
        at: clock - 1,
        reason: 'stopped',
      });
      expect(store.scrape([hash(1)])[0].leechers).toBe(1); // the removal is older
      store.apply({
        kind: 'peer',
        infoHash: hash(1),
        event: 'completed',
        peer: { ...peer, left: 0, lastSeen: clock + 5 },
      });
      store.apply({ kind: 'peer', infoHash: hash(1), event: 'none', peer });
      expect(store.scrape([hash(1)])[0]).toMatchObject({ seeders: 1, leechers: 0 });
      store.apply({ kind: 'completed', infoHash: hash(1), origin: 'a', count: 3 });
      store.apply({ kind: 'completed', infoHash: hash(1), origin: 'a', count: 2 });
      store.apply({ kind: 'completed', infoHash: hash(1), origin: 'b', count: 1 });
      expect(store.scrape([hash(1)])[0].completed).toBe(4);
    });

    it('ignores malformed remote changes', () => {
      const peer = {
        ip: v4(1),
        port: 7000,
        peerId: peerId(1),
        left: 5,
        uploaded: 0,
        downloaded: 0,
        lastSeen: clock,
      };
      store.apply({ kind: 'peer', infoHash: Buffer.alloc(5), event: 'started', peer });
      store.apply({
        kind: 'peer',
        infoHash: hash(1),
        event: 'started',
        peer: { ...peer, peerId: Buffer.alloc(3) },
      });
      store.apply({
        kind: 'peer',
        infoHash: hash(1),
        event: 'started',
        peer: { ...peer, ip: Buffer.alloc(7) },
      });
      store.apply({
        kind: 'peer',
        infoHash: hash(1),
        event: 'started',
        peer: { ...peer, port: 0 },
      });
      store.apply({
        kind: 'peer',
        infoHash: hash(1),
        event: 'started',
        peer: { ...peer, left: NaN },
      });
      expect(store.stats()).toMatchObject({ seeders: 0, leechers: 0 });
      store.apply({ kind: 'completed', infoHash: hash(1), origin: 'x', count: -4 });
      expect(store.scrape([hash(1)])[0].completed).toBe(0);
    });

    it('snapshots and restores swarms, catalog and counters, leaving out expired peers', () => {
      store.publish({
        infoHash: hash(1),
        peerId: peerId(1),
        ip: v6(1),
        port: 7000,
        name: 'film',
        totalSize: 99,
        fileCount: 2,
      });
      store.announce(ann(2));
      store.announce(ann(2, { event: 'completed', left: 0 }));
      store.announce(ann(3, { infoHash: hash(2) }));
      clock += 50_000;
      store.announce(ann(4, { infoHash: hash(2) }));
      const snaps = [...store.snapshot()];
      expect(snaps).toHaveLength(2);
      const copy = make({ now, limits: { interval: 100, grace: 20 } });
      clock += 80_000; // peers 1..3 are now 130 s old and expired; peer 4 is 80 s old
      for (const s of snaps) copy.restore(s);
      expect(copy.scrape([hash(1), hash(2)])).toEqual([
        { seeders: 0, leechers: 0, completed: 1 },
        { seeders: 0, leechers: 1, completed: 0 },
      ]);
      expect(copy.listTorrents({ pageSize: 5 }).torrents[0]).toMatchObject({
        name: 'film',
        totalSize: 99,
        fileCount: 2,
      });
      expect(() => copy.restore({ ...snaps[0], peers4: Buffer.alloc(7) })).toThrow(RangeError);
    });
  });
}
