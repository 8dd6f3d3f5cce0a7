import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { ResumeDb } from './resume-db';

describe('records', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'enjambre-resume-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const hash = (i: number) => i.toString(16).padStart(40, '0');
  const record = (savedAt: number, size = 10) => ({
    bitfield: Uint8Array.of(0xc0),
    files: [{ size, mtimeMs: 1000 }, null],
    savedAt,
  });

  test('preload reads every record in one scan; load gives each (then from the database)', async () => {
    const a = new ResumeDb(dir);
    await a.open();
    for (let i = 0; i < 50; i++) await a.save(hash(i), record(i));
    await a.close();
    const b = new ResumeDb(dir);
    await b.open();
    await b.preload();
    for (let i = 0; i < 50; i++) {
      const r = await b.load(hash(i));
      expect(r?.savedAt).toBe(i);
      expect([...r!.bitfield]).toEqual([0xc0]);
      expect(r?.files).toEqual([{ size: 10, mtimeMs: 1000 }, null]);
    }
    expect((await b.load(hash(7)))?.savedAt).toBe(7); // again, from LevelDB
    expect(await b.load(hash(99))).toBeUndefined();
    await b.close();
  });

  test('a save that changes neither pieces nor files is not written; a change is', async () => {
    const db = new ResumeDb(dir);
    await db.open();
    await db.save(hash(1), record(100));
    await db.save(hash(1), record(200)); // same content: the stored record keeps its time
    await db.close();
    const again = new ResumeDb(dir);
    await again.open();
    expect((await again.load(hash(1)))?.savedAt).toBe(100);
    await again.save(hash(1), record(300)); // read just now, unchanged: not written
    await again.save(hash(1), record(400, 11)); // a file changed: written
    await again.close();
    const last = new ResumeDb(dir);
    await last.open();
    const r = await last.load(hash(1));
    expect(r?.savedAt).toBe(400);
    expect(r?.files[0]).toEqual({ size: 11, mtimeMs: 1000 });
    await last.delete(hash(1));
    expect(await last.load(hash(1))).toBeUndefined();
    await last.close();
  });
});

describe('piece layers', () => {
  const HASH = 'ab'.repeat(20);
  let tmp: string;
  let db: ResumeDb;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'enjambre-resume-'));
    db = new ResumeDb(path.join(tmp, 'db'));
    await db.open();
  });
  afterEach(async () => {
    await db.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const record = { bitfield: Buffer.from([0xff, 0x80]), files: [null], savedAt: 1 };

  test('piece layers are saved under their own key, loaded with the record, deleted with it', async () => {
    await db.save(HASH, record);
    expect((await db.load(HASH))?.layers).toBeUndefined();
    const layers = new Map([['cd'.repeat(32), Buffer.alloc(64, 7)]]);
    await db.saveLayers(HASH, layers);
    await db.save(HASH, { ...record, bitfield: Buffer.from([0xff, 0xc0]), savedAt: 2 }); // a later bitfield save leaves them alone
    const got = await db.load(HASH);
    expect(got?.savedAt).toBe(2);
    expect([...(got?.layers ?? [])]).toEqual([...layers]);
    await db.delete(HASH);
    await db.save(HASH, record);
    expect((await db.load(HASH))?.layers).toBeUndefined();
  });

  test('whatever is stored under the layers key, loading never throws', async () => {
    await db.save(HASH, record);
    const raw = (db as unknown as { db: ClassicLevel<string, string> }).db;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (value) => {
          await raw.put(`layers:${HASH}`, value);
          const got = await db.load(HASH);
          for (const [root, layer] of got?.layers ?? []) {
            expect(typeof root).toBe('string');
            expect(Buffer.isBuffer(layer)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
