import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Persistence, decodeSnapshot, encodeSnapshot } from './persistence';
import { MemorySwarmStore } from './store/memory';

const hash = (n: number): Buffer => Buffer.alloc(20, n);

function fill(store: MemorySwarmStore, torrents: number, peersEach: number): void {
  for (let t = 0; t < torrents; t++) {
    const infoHash = Buffer.alloc(20);
    infoHash.writeUInt32BE(t, 0);
    for (let p = 0; p < peersEach; p++) {
      const peerId = Buffer.alloc(20);
      peerId.writeUInt32BE(p, 0);
      store.announce({
        infoHash,
        peerId,
        ip: Buffer.from([10, 0, p >> 8, p & 255]),
        port: 1000 + p,
        event: 'started',
        uploaded: 0,
        downloaded: 0,
        left: p % 2,
        numwant: 0,
      });
    }
  }
}

describe('Persistence (LevelDB)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enjambre-persist-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a snapshot through its binary form and refuses truncated values', () => {
    const store = new MemorySwarmStore();
    store.publish({
      infoHash: hash(1),
      peerId: hash(2),
      ip: Buffer.alloc(16, 1),
      port: 9,
      name: 'ñame',
      totalSize: 5,
      fileCount: 1,
    });
    const [snap] = [...store.snapshot()];
    const back = decodeSnapshot(hash(1), encodeSnapshot(snap));
    expect(back).toEqual(snap);
    const encoded = encodeSnapshot(snap);
    expect(() => decodeSnapshot(hash(1), encoded.subarray(0, encoded.length - 3))).toThrow(
      /truncated/,
    );
    expect(() =>
      decodeSnapshot(hash(1), Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    ).toThrow(/version/);
  });

  it('saves in chunks and loads every swarm back; a later save replaces the earlier one', async () => {
    const store = new MemorySwarmStore();
    fill(store, 4500, 3);
    store.publish({
      infoHash: hash(200),
      peerId: hash(3),
      ip: Buffer.from([1, 2, 3, 4]),
      port: 9,
      name: 'cat',
      totalSize: 5,
      fileCount: 1,
    });
    const p = new Persistence(dir);
    await p.open();
    expect(await p.load(new MemorySwarmStore())).toBe(0);
    expect(await p.save(store)).toBe(4501);
    // Peers stop; the next save must not resurrect them.
    for (let t = 0; t < 4000; t++) {
      const infoHash = Buffer.alloc(20);
      infoHash.writeUInt32BE(t, 0);
      for (let n = 0; n < 3; n++) {
        const peerId = Buffer.alloc(20);
        peerId.writeUInt32BE(n, 0);
        store.announce({
          infoHash,
          peerId,
          ip: Buffer.from([10, 0, 0, n]),
          port: 1000 + n,
          event: 'stopped',
          uploaded: 0,
          downloaded: 0,
          left: n % 2,
        });
      }
    }
    expect(await p.save(store)).toBe(501);
    await p.close();

    const reopened = new Persistence(dir);
    await reopened.open();
    const copy = new MemorySwarmStore();
    expect(await reopened.load(copy)).toBe(501);
    await reopened.close();
    expect(copy.stats()).toEqual(store.stats());
    expect(copy.listTorrents({ pageSize: 5 }).torrents.map((t) => t.name)).toEqual(['cat']);
  });

  it('leaves out corrupt values and swarms beyond the torrent cap, loading the rest', async () => {
    const store = new MemorySwarmStore();
    fill(store, 10, 1);
    const p = new Persistence(dir);
    await p.open();
    await p.save(store);
    await p.close();
    const db = new ClassicLevel<Buffer, Buffer>(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const gen = (await db.get(Buffer.from('current'))) as Buffer;
    await db.put(Buffer.concat([gen, Buffer.alloc(20, 0xee)]), Buffer.from('garbage'));
    await db.close();
    const again = new Persistence(dir);
    await again.open();
    const small = new MemorySwarmStore({ limits: { maxTorrents: 8 } });
    expect(await again.load(small)).toBe(8);
    expect(again.skipped).toBe(3);
    await again.close();
  });
});
