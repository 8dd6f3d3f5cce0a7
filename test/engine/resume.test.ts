import { spawn, type ChildProcess } from 'node:child_process';
import { open, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(180_000);

const ws = sessionWorkspace('resume');
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

test('kill -9 mid-download, restart: completes without re-downloading the verified pieces', async () => {
  const size = 6 * 1024 * 1024;
  const pieceLength = 64 * 1024;
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'big.bin', size, { pieceLength });
  const torrentFile = path.join(ws.root, 'big.torrent');
  await writeFile(torrentFile, t.torrent);
  // a slow seeder, so the kill lands in the middle of the download
  const seeder = await startSession(path.join(ws.root, 's'), { uploadRateLimit: 1024 * 1024 });
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });

  const dataDir = path.join(ws.root, 'l-data');
  const got = path.join(ws.root, 'got');
  child = spawn(
    process.execPath,
    [
      path.join(__dirname, 'ts-child.js'),
      path.join(__dirname, 'resume-child.ts'),
      dataDir,
      got,
      torrentFile,
      `127.0.0.1:${seeder.port}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((r) => child!.once('exit', r));
  let verifiedAtKill = 0;
  await new Promise<void>((resolve, reject) => {
    const rl = readline.createInterface({ input: child!.stdout! });
    rl.on('line', (line) => {
      const st = JSON.parse(line) as { downloaded: number };
      if (st.downloaded >= size * 0.4 && verifiedAtKill === 0) {
        verifiedAtKill = st.downloaded;
        child!.kill('SIGKILL');
        resolve();
      }
    });
    child!.once('exit', () =>
      verifiedAtKill ? resolve() : reject(new Error('child exited early')),
    );
  });
  await exited;
  expect(verifiedAtKill).toBeLessThan(size);

  seeder.setRateLimits({ upload: 0 });
  const leecher = await startSession(path.join(ws.root, 'l2'), { dataDir });
  ws.sessions.push(leecher);
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  const resumed = lt.status().downloaded;
  // everything verified before the kill is known again (from resume data or the recheck)
  expect(resumed).toBeGreaterThanOrEqual(verifiedAtKill);
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, got, 'big.bin', true);
  const again = lt.status().downloadedTotal;
  // only what was not yet verified is downloaded again (plus at most a few pieces in flight)
  expect(again).toBeLessThanOrEqual(size - resumed + 4 * pieceLength);
  process.stdout.write(
    `resume: verified at kill ${verifiedAtKill}, known after restart ${resumed}, downloaded again ${again} of ${size}\n`,
  );
});

test('after a clean close the saved bitfield is trusted while sizes and mtimes match', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'a.bin', 1_000_000, { pieceLength: 64 * 1024 });
  const s1 = await startSession(path.join(ws.root, 's1'));
  await s1.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  await s1.close();
  // damage a byte but keep size and mtime: resume data is trusted, so no recheck sees it
  const file = path.join(seedDir, 'a.bin');
  const before = await stat(file);
  const fh = await open(file, 'r+');
  await fh.write(Buffer.from([0]), 0, 1, 10);
  await fh.close();
  await utimes(file, before.atimeMs / 1000, before.mtimeMs / 1000);
  const s2 = await startSession(path.join(ws.root, 's1'));
  const t2 = await s2.add({ torrent: t.torrent }, { downloadDir: seedDir });
  expect(t2.status().progress).toBe(1);
  await s2.close();
  // a change of mtime makes it recheck that file, and the damaged piece is found
  await utimes(file, before.atimeMs / 1000, before.mtimeMs / 1000 + 5);
  const s3 = await startSession(path.join(ws.root, 's1'));
  ws.sessions.push(s3);
  const t3 = await s3.add({ torrent: t.torrent }, { downloadDir: seedDir });
  expect(t3.status().progress).toBeLessThan(1);
  expect(t3.bitfield()[0] & 0x80).toBe(0);
});
