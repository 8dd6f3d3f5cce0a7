import { ClassicLevel } from 'classic-level';
import type { SwarmSnapshot, SwarmStore } from './store/types';

/**
 * The store's state in LevelDB. A save writes a complete generation ("a" or "b" key prefix)
 * next to the previous one, then flips the `current` pointer and drops the old generation, so a
 * crash during a save leaves the last complete state readable. Writes go in chunked batches
 * with a yield to the event loop between chunks, so announces keep flowing during a save.
 *
 * Value layout: version u8 · meta length u32 · meta JSON {completed, catalog} · peers4 length
 * u32 · peers4 records · peers6 length u32 · peers6 records (PEER_RECORD layout, snapshot-record.ts).
 */
const VERSION = 1;
const CURRENT = Buffer.from('current');
const CHUNK = 2000;

type Generation = 'a' | 'b';

export function encodeSnapshot(s: SwarmSnapshot): Buffer {
  const meta = Buffer.from(JSON.stringify({ completed: s.completed, catalog: s.catalog }));
  const out = Buffer.allocUnsafe(1 + 4 + meta.length + 4 + s.peers4.length + 4 + s.peers6.length);
  let o = out.writeUInt8(VERSION, 0);
  o = out.writeUInt32BE(meta.length, o);
  o += meta.copy(out, o);
  o = out.writeUInt32BE(s.peers4.length, o);
  o += s.peers4.copy(out, o);
  o = out.writeUInt32BE(s.peers6.length, o);
  s.peers6.copy(out, o);
  return out;
}

export function decodeSnapshot(infoHash: Buffer, value: Buffer): SwarmSnapshot {
  if (value.length < 13 || value[0] !== VERSION) throw new Error('unknown snapshot version');
  let o = 1;
  const take = (): Buffer => {
    const n = value.readUInt32BE(o);
    o += 4;
    if (o + n > value.length) throw new Error('truncated snapshot');
    const part = value.subarray(o, o + n);
    o += n;
    return part;
  };
  const meta = JSON.parse(take().toString()) as Pick<SwarmSnapshot, 'completed' | 'catalog'>;
  const peers4 = take();
  const peers6 = take();
  return {
    infoHash,
    completed: meta.completed ?? {},
    catalog: meta.catalog ?? null,
    peers4,
    peers6,
  };
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Persistence {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private saving: Promise<number> | null = null;

  constructor(readonly dir: string) {
    this.db = new ClassicLevel<Buffer, Buffer>(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  async close(): Promise<void> {
    if (this.saving !== null) await this.saving.catch(() => undefined);
    await this.db.close();
  }

  private async current(): Promise<Generation | null> {
    const v = await this.db.get(CURRENT);
    if (v === undefined) return null;
    return v.toString() === 'b' ? 'b' : 'a';
  }

  /** Writes every swarm; concurrent calls share one save. Resolves to the swarms written. */
  save(store: SwarmStore): Promise<number> {
    if (this.saving === null) {
      this.saving = this.doSave(store).finally(() => {
        this.saving = null;
      });
    }
    return this.saving;
  }

  private async doSave(store: SwarmStore): Promise<number> {
    const old = await this.current();
    const gen: Generation = old === 'a' ? 'b' : 'a';
    const prefix = Buffer.from(gen);
    const range = { gte: prefix, lt: Buffer.from([prefix[0] + 1]) };
    await this.db.clear(range);
    let batch = this.db.batch();
    let written = 0;
    for (const snapshot of store.snapshot()) {
      batch.put(Buffer.concat([prefix, snapshot.infoHash]), encodeSnapshot(snapshot));
      if (++written % CHUNK === 0) {
        await batch.write();
        await yieldToLoop();
        batch = this.db.batch();
      }
    }
    await batch.write();
    await this.db.put(CURRENT, prefix);
    if (old !== null) {
      const oldPrefix = Buffer.from(old);
      await this.db.clear({ gte: oldPrefix, lt: Buffer.from([oldPrefix[0] + 1]) });
    }
    return written;
  }

  /** Swarms the last `load` left out: undecodable values, or beyond the store's torrent cap. */
  skipped = 0;

  /** Merges the last complete save into the store; resolves to the swarms read. */
  async load(store: SwarmStore): Promise<number> {
    this.skipped = 0;
    const gen = await this.current();
    if (gen === null) return 0;
    const prefix = Buffer.from(gen);
    let read = 0;
    for await (const [key, value] of this.db.iterator({
      gte: prefix,
      lt: Buffer.from([prefix[0] + 1]),
    })) {
      try {
        if (key.length !== 21) throw new Error('not a swarm key');
        store.restore(decodeSnapshot(Buffer.from(key.subarray(1)), value));
      } catch {
        // A corrupt value or a torrent beyond the cap loses that swarm, not the whole state.
        this.skipped++;
        continue;
      }
      if (++read % CHUNK === 0) await yieldToLoop();
    }
    return read;
  }
}
