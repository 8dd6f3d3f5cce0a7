import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ClassicLevel } from 'classic-level';
import fc from 'fast-check';
import { ResumeDb } from './resume-db';

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
  await db.save(HASH, { ...record, savedAt: 2 }); // a later bitfield save leaves them alone
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
