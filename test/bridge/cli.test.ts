/**
 * The enjambre command line as a user runs it: info, create (checked by transmission-show),
 * get from an enjambre seeder through a real tracker, and one-line errors.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { encode } from '@enjambre/bittorrent';
import { RunningTracker, startTracker } from '@enjambre/tracker';
import { removeDir, tempDir } from './helpers';
import { requireBuild, run, spawnJson, Spawned } from './cli-helpers';

jest.setTimeout(180_000);

let root: string;
let tracker: RunningTracker;
let announce: string;
const children: Spawned[] = [];

beforeAll(async () => {
  requireBuild();
  root = await tempDir('bridge-cli');
  tracker = await startTracker({
    ip: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    udpPort: null,
    metricsPort: null,
    logger: pino({ level: 'silent' }),
  });
  announce = `http://127.0.0.1:${tracker.httpPort}/announce`;
});
afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await tracker?.close();
  await removeDir(root);
});

function transmissionHash(torrent: string): string {
  const out = execFileSync('transmission-show', [torrent], { encoding: 'utf8' });
  return /Hash: ([0-9a-f]{40})/.exec(out)![1];
}

test('info shows a torrent made by transmission-create, with the same info-hash', async () => {
  const data = join(root, 'info-data.bin');
  await writeFile(data, randomBytes(100_000));
  const torrent = join(root, 'info.torrent');
  execFileSync('transmission-create', ['-o', torrent, '-t', announce, '-s', '16', data], {
    stdio: 'ignore',
  });
  const human = await run(['info', torrent]);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain(`Hash: ${transmissionHash(torrent)}`);
  expect(human.stdout).toContain('Privacy: Public torrent');
  expect(human.stdout).toContain(announce);
  const json = await run(['info', torrent, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({
    name: 'info-data.bin',
    infoHash: transmissionHash(torrent),
    size: 100_000,
    pieceLength: 16384,
    pieceCount: 7,
    private: false,
    trackers: [[announce]],
  });
  const magnet = await run(['info', `magnet:?xt=urn:btih:${'a'.repeat(40)}&dn=x&tr=${announce}`]);
  expect(magnet.code).toBe(0);
  expect(magnet.stdout).toContain(`Hash: ${'a'.repeat(40)}`);
});

test('a refused torrent or argument gives one line and a non-zero exit, never a stack', async () => {
  const bad = join(root, 'bad.torrent');
  await writeFile(bad, 'd4:infod4:name3:..' + 'e'.repeat(3));
  const traversal = join(root, 'traversal.torrent');
  await writeFile(
    traversal,
    encode({
      info: {
        files: [{ length: 1, path: ['..', 'escape'] }],
        name: 'x',
        'piece length': 16384,
        pieces: Buffer.alloc(20),
      },
    }),
  );
  for (const args of [
    ['info', bad],
    ['info', join(root, 'missing.torrent')],
    ['info', root],
    ['info', 'magnet:?xt=urn:btih:123'],
    ['create', join(root, 'missing'), '-o', join(root, 'x.torrent')],
    ['get', bad, '--dir', join(root, 'x')],
    ['ls', '--data-dir', join(root, 'no-daemon')],
    ['get', bad, '--dir', join(root, 'x'), '--port', 'seventy'],
  ]) {
    const r = await run(args, { ENJAMBRE_DATA_DIR: join(root, 'state') });
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  // names that would leave the folder are sanitized as libtorrent does: the torrent opens, and
  // info says what was renamed
  const shown = await run(['info', traversal]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('SANITIZED');
  expect(shown.stdout).toContain('files[0].path: "../escape" -> "escape"');
  expect(shown.stdout).toContain('  x/escape (');
});

test('create writes a torrent transmission-show reads with the same info-hash', async () => {
  const dir = join(root, 'album');
  await mkdir(join(dir, 'disc 2'), { recursive: true });
  await writeFile(join(dir, 'a.flac'), randomBytes(300_000));
  await writeFile(join(dir, 'disc 2', 'b.flac'), randomBytes(123_456));
  const out = join(root, 'album.torrent');
  const r = await run([
    'create',
    dir,
    '--announce',
    announce,
    '--announce',
    'udp://127.0.0.1:1',
    '--private',
    '--piece-length',
    '32k',
    '--comment',
    'for the test',
    '--web-seed',
    'https://mirror.example/pub/',
    '--web-seed',
    'http://other.example/x/',
    // Transmission 3.00 refuses every torrent with a v2 file tree, hybrids included
    '--format',
    'v1',
    '--output',
    out,
    '--json',
  ]);
  expect(r.code).toBe(0);
  const created = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((e) => e.event === 'created');
  expect(created).toMatchObject({ name: 'album', size: 423_456, pieceLength: 32768 });
  expect(created.infoHash).toBe(transmissionHash(out));
  const shown = execFileSync('transmission-show', [out], { encoding: 'utf8' });
  expect(shown).toMatch(/Privacy: Private torrent/);
  expect(shown).toContain('for the test');
  expect(shown).toContain('udp://127.0.0.1:1');
  expect(shown).toMatch(
    /WEBSEEDS\s+https:\/\/mirror\.example\/pub\/\s+http:\/\/other\.example\/x\//,
  );
  const ftp = await run(['create', dir, '--web-seed', 'ftp://x/', '--output', out]);
  expect(ftp.code).not.toBe(0);
  expect(ftp.stderr).toContain('--web-seed must be an http or https URL');
});

test('create --format: v1, v2 and hybrid torrents python3-libtorrent reads with the same hashes', async () => {
  const dir = join(root, 'formats');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'a.bin'), randomBytes(100_000));
  await writeFile(join(dir, 'sub', 'b.bin'), randomBytes(20_000));
  for (const format of ['v1', 'v2', 'hybrid', 'v3']) {
    const out = join(root, `formats-${format}.torrent`);
    const r = await run(['create', dir, '--format', format, '-o', out, '--json']);
    if (format === 'v3') {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('--format must be v1, v2 or hybrid');
      continue;
    }
    expect(r.code).toBe(0);
    const created = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'created');
    expect(created).toMatchObject({ format, size: 120_000 });
    const lt = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys, json, libtorrent as lt\n' +
            'ih = lt.torrent_info(sys.argv[1]).info_hashes()\n' +
            'print(json.dumps([str(ih.v1) if ih.has_v1() else None, str(ih.v2) if ih.has_v2() else None]))',
          out,
        ],
        { encoding: 'utf8' },
      ),
    ) as [string | null, string | null];
    expect(lt).toEqual([
      format === 'v2' ? null : created.infoHash,
      format === 'v1' ? null : created.infoHashV2,
    ]);
  }
});

test('get downloads from an enjambre seeder through the tracker and exits 0 once verified', async () => {
  const src = join(root, 'seed-src');
  await mkdir(join(src, 'pack', 'inner'), { recursive: true });
  const one = randomBytes(2_000_000);
  const two = randomBytes(54_321);
  await writeFile(join(src, 'pack', 'one.bin'), one);
  await writeFile(join(src, 'pack', 'inner', 'two.bin'), two);
  const torrent = join(root, 'pack.torrent');
  expect(
    (
      await run([
        'create',
        join(src, 'pack'),
        '-a',
        announce,
        '-o',
        torrent,
        '--piece-length',
        '64k',
      ])
    ).code,
  ).toBe(0);

  const seeder = await spawnJson(
    ['seed', torrent, '--dir', src, '--listen-host', '127.0.0.1', '--json'],
    { ENJAMBRE_DATA_DIR: join(root, 'seeder-state') },
  );
  children.push(seeder);
  expect(seeder.first).toMatchObject({ event: 'seeding', port: expect.any(Number) });

  const dest = join(root, 'got');
  const got = await run(
    ['get', torrent, '--dir', dest, '--listen-host', '127.0.0.1', '--json', '--max-peers', '10'],
    { ENJAMBRE_DATA_DIR: join(root, 'leecher-state') },
  );
  expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
  const events = got.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(events.some((e) => e.event === 'progress')).toBe(true);
  expect(events[events.length - 1]).toMatchObject({ event: 'done', size: one.length + two.length });
  expect((await readFile(join(dest, 'pack', 'one.bin'))).equals(one)).toBe(true);
  expect((await readFile(join(dest, 'pack', 'inner', 'two.bin'))).equals(two)).toBe(true);

  seeder.child.kill('SIGINT');
  expect(await seeder.exited).toBe(0);
});
