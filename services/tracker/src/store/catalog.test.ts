// The catalog in the memory store: owners, withdrawal, expiry, paging tokens, old saved state.
import { decodeSnapshot, encodeSnapshot } from '../persistence';
import { MemorySwarmStore } from './memory';
import type { PublishInput } from './types';

const hash = (n: number): Buffer => Buffer.alloc(20, n);
const v4 = (n: number): Buffer => Buffer.from([10, 0, 0, n]);
const DAY = 86_400_000;

function setup(ttlDays = 7) {
  let clock = 1_700_000_000_000;
  const store = new MemorySwarmStore({
    now: () => clock,
    limits: { interval: 100, grace: 20, catalogTtl: ttlDays * 86400 },
  });
  const publish = (n: number, over: Partial<PublishInput> = {}) =>
    store.publish({
      infoHash: hash(n),
      peerId: Buffer.alloc(20, n),
      ip: v4(n),
      port: 7000,
      name: `torrent ${n}`,
      totalSize: n,
      fileCount: 1,
      ...over,
    });
  const names = () => store.listTorrents({ pageSize: 100 }).torrents.map((t) => t.name);
  return { store, publish, names, tick: (ms: number) => (clock += ms), now: () => clock };
}

describe('catalog', () => {
  it('belongs to its first publisher: others become seeders but cannot rename it', () => {
    const { publish, names } = setup();
    expect(publish(1).listed).toBe(true);
    const other = publish(1, { ip: v4(9), peerId: Buffer.alloc(20, 9), name: 'spam' });
    expect(other.listed).toBe(false);
    expect(other.seeders).toBe(2);
    expect(names()).toEqual(['torrent 1']);
    expect(publish(1, { name: 'torrent one' }).listed).toBe(true);
    expect(names()).toEqual(['torrent one']);
    // A key owns what it published, from any address.
    publish(2, { owner: 'key:aa', signedAt: 5 });
    expect(publish(2, { ip: v4(8), owner: 'key:aa', signedAt: 6, name: 'moved' }).listed).toBe(
      true,
    );
    expect(publish(2, { owner: 'key:bb', signedAt: 7, name: 'stolen' }).listed).toBe(false);
    expect(names()).toEqual(['torrent one', 'moved']);
    // Same name, another info-hash: another entry (the info-hash is the key, not the name).
    publish(3, { name: 'moved' });
    expect(names()).toEqual(['torrent one', 'moved', 'moved']);
  });

  it('withdraws only for its owner, and refuses replayed signatures', () => {
    const { store, publish, names } = setup();
    publish(1);
    publish(2, { owner: 'key:aa', signedAt: 10 });
    expect(store.withdraw(hash(1), 'ip:0a000009')).toBe('not_owner');
    expect(store.withdraw(hash(2), 'ip:0a000002')).toBe('not_owner');
    expect(store.withdraw(hash(2), 'key:aa', 10)).toBe('stale');
    expect(store.withdraw(hash(5), 'key:aa', 11)).toBe('not_found');
    expect(store.withdraw(hash(1), 'ip:0a000001')).toBe('withdrawn');
    expect(store.withdraw(hash(2), 'key:aa', 11)).toBe('withdrawn');
    expect(names()).toEqual([]);
    expect(store.stats().catalogTorrents).toBe(0);
    // A replayed publish older than the withdrawal does not bring it back; a new one does.
    expect(publish(2, { owner: 'key:aa', signedAt: 10 }).listed).toBe(true);
    expect(names()).toEqual([]);
    publish(2, { owner: 'key:aa', signedAt: 12, name: 'back' });
    expect(names()).toEqual(['back']);
  });

  it('expires entries without a seeder for the TTL, counting from the last seeder', () => {
    const { store, publish, names, tick } = setup(1);
    publish(1);
    publish(2);
    tick(DAY / 2);
    // Torrent 2's seeder is still there half a day later.
    publish(2);
    tick(DAY / 2 + 1000);
    while (!store.sweep(100));
    expect(names()).toEqual(['torrent 2']);
    tick(DAY);
    while (!store.sweep(100));
    expect(names()).toEqual([]);
    expect(store.stats()).toMatchObject({ torrents: 0, catalogTorrents: 0 });
  });

  it('loads state saved before owners existed: listed, owned by nobody, expiring', () => {
    const { store, names, tick, publish } = setup(1);
    const saved = encodeSnapshot({
      infoHash: hash(4),
      completed: {},
      catalog: { name: 'old entry', totalSize: 5, fileCount: 1, publishedAt: 1 },
      peers4: Buffer.alloc(0),
      peers6: Buffer.alloc(0),
    });
    store.restore(decodeSnapshot(hash(4), saved));
    expect(names()).toEqual(['old entry']);
    expect(publish(4, { name: 'claimed' }).listed).toBe(false);
    expect(store.withdraw(hash(4), 'ip:0a000004')).toBe('not_owner');
    // The TTL counts from the load, not from the old publish.
    tick(DAY + 1000);
    store.announce({
      infoHash: hash(4),
      peerId: Buffer.alloc(20, 4),
      ip: v4(4),
      port: 7000,
      event: 'stopped',
      uploaded: 0,
      downloaded: 0,
      left: 0,
    });
    while (!store.sweep(100));
    expect(names()).toEqual([]);
  });

  it('keeps accepting the page tokens of the previous version (an info-hash)', () => {
    const { store, publish } = setup();
    for (let n = 1; n <= 5; n++) publish(n);
    const legacy = hash(2).toString('base64url');
    const page = store.listTorrents({ pageSize: 2, pageToken: legacy });
    expect(page.torrents.map((t) => t.name)).toEqual(['torrent 3', 'torrent 4']);
    const rest = store.listTorrents({ pageSize: 2, pageToken: page.nextPageToken });
    expect(rest.torrents.map((t) => t.name)).toEqual(['torrent 5']);
    expect(rest.nextPageToken).toBe('');
    expect(() =>
      store.listTorrents({ pageSize: 2, pageToken: hash(9).toString('base64url') }),
    ).toThrow(RangeError);
  });

  it('converges between replicas whatever order owners and withdrawals arrive in', () => {
    const { store: a, publish, tick } = setup();
    publish(1, { owner: 'key:aa', signedAt: 1 });
    tick(1000);
    const b = new MemorySwarmStore({ now: () => 1_700_000_000_000 + 5000 });
    b.publish({
      infoHash: hash(1),
      peerId: Buffer.alloc(20, 2),
      ip: v4(2),
      port: 7000,
      name: 'later claim',
      totalSize: 1,
      fileCount: 1,
    });
    const changes: Parameters<Parameters<typeof a.onChange>[0]>[0][] = [];
    a.onChange((c) => changes.push(c));
    b.onChange((c) => changes.push(c));
    a.withdraw(hash(1), 'key:aa', 2);
    for (const s of [...a.snapshot()]) b.restore(s);
    for (const s of [...b.snapshot()]) a.restore(s);
    for (const c of changes) {
      a.apply(c);
      b.apply(c);
    }
    // The earliest publisher (a's) owns it, and its withdrawal holds on both.
    expect(a.listTorrents({ pageSize: 5 }).torrents).toEqual([]);
    expect(b.listTorrents({ pageSize: 5 }).torrents).toEqual([]);
    expect([...b.snapshot()][0].catalog).toMatchObject({ owner: 'key:aa', withdrawn: true });
  });
});
