/**
 * A share is hashed once (issue 14): the session's pool hashes the files into a .torrent, and
 * adding it in seed mode with the creator's `verified` stamps reads nothing again. A file that
 * changes between the two is read and checked again, and damage is caught.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sessionWorkspace, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('share-once');
const PIECE = 32 * 1024;

async function share(folder: string) {
  await mkdir(folder, { recursive: true });
  const a = randomBytes(20 * PIECE);
  const b = randomBytes(12 * PIECE + 100);
  await writeFile(path.join(folder, 'a.bin'), a);
  await writeFile(path.join(folder, 'b.bin'), b);
  return { a, b };
}

test('a share is hashed once: seeding what the session just created reads nothing again', async () => {
  const folder = path.join(ws.root, 'share', 'album');
  const { a, b } = await share(folder);
  const seeder = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(seeder);
  const created = await seeder.createTorrent(folder, { pieceLength: PIECE });
  const total = a.length + b.length;
  const io = seeder.ioStats();
  expect(io.hash.bytes).toBe(total); // hashed in the session's pool
  const st = await seeder.add(
    { torrent: created.torrent },
    { downloadDir: created.dataDir, seedMode: true, verified: created.verified },
  );
  expect(st.status().state).toBe('seeding');
  expect(st.status().progress).toBe(1);
  expect(io.hash.bytes).toBe(total);
  expect(io.diskRead.bytes).toBe(0);

  // and what it seeds is right
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: created.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  expect((await readFile(path.join(got, 'album', 'a.bin'))).equals(a)).toBe(true);
  expect((await readFile(path.join(got, 'album', 'b.bin'))).equals(b)).toBe(true);
});

test('a file changed after hashing is checked again, and damage refuses seed mode', async () => {
  const folder = path.join(ws.root, 'share', 'album');
  const { a, b } = await share(folder);
  const seeder = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(seeder);
  const created = await seeder.createTorrent(folder, { pieceLength: PIECE });
  const io = seeder.ioStats();
  const before = io.hash.bytes;

  // same bytes, new mtime: b's pieces are read and hashed again, a's are not
  await utimes(path.join(folder, 'b.bin'), new Date(), new Date(Date.now() + 5_000));
  const t = await seeder.add(
    { torrent: created.torrent },
    { downloadDir: created.dataDir, seedMode: true, verified: created.verified },
  );
  expect(t.status().state).toBe('seeding');
  const bPieces = Math.ceil((a.length + b.length) / PIECE) - Math.floor(a.length / PIECE);
  const rehashed = io.hash.bytes - before;
  expect(rehashed).toBeGreaterThanOrEqual(b.length);
  expect(rehashed).toBeLessThanOrEqual(bPieces * PIECE);
  await seeder.remove(t.infoHash);

  // changed bytes: seed mode refuses, naming the damage
  const damaged = Buffer.from(b);
  damaged[5] ^= 0xff;
  await writeFile(path.join(folder, 'b.bin'), damaged);
  const t2 = await seeder.add(
    { torrent: created.torrent },
    { downloadDir: created.dataDir, seedMode: true, verified: created.verified },
  );
  expect(t2.status().state).toBe('error');
  expect(t2.status().error).toMatch(/seed mode: 1 of \d+ pieces are missing or damaged/);
});
