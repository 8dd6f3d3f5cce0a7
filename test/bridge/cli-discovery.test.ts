/**
 * `enjambre get` and `seed` with the DHT and LSD switches `start` has: a torrent with no tracker
 * downloads through the DHT (`--dht-bootstrap`, repeatable, and `--dht-port`) and through LSD
 * (inside a network namespace with multicast on its loopback), a standalone `share`'s magnet
 * through the DHT alone; `--no-dht` and `--no-lsd` leave their UDP ports unbound.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dht } from '@enjambre/engine';
import { freePort, waitFor } from '../peers/util';
import { LoopbackNamespace } from '../dht/netns';
import { removeDir, tempDir } from './helpers';
import { requireBuild, run, spawnJson, Spawned } from './cli-helpers';

jest.setTimeout(180_000);

const NET = '127.0.71';
let root: string;
const children: Spawned[] = [];
const nodes: Dht[] = [];

beforeAll(async () => {
  requireBuild();
  root = await tempDir('cli-discovery');
});
afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await Promise.all(nodes.map((d) => d.close()));
  await removeDir(root);
});

/** A random file under `root/name/` and its tracker-less .torrent, made by `enjambre create`. */
async function fixture(name: string) {
  const src = join(root, name);
  await mkdir(src, { recursive: true });
  const data = randomBytes(900_000);
  await writeFile(join(src, `${name}.bin`), data);
  const torrent = join(root, `${name}.torrent`);
  const made = await run(['create', join(src, `${name}.bin`), '-o', torrent, '--json']);
  expect(made.code).toBe(0);
  const created = made.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; infoHash: string })
    .find((e) => e.event === 'created')!;
  const infoHash = created.infoHash;
  return { src, data, torrent, infoHash, file: `${name}.bin` };
}

async function spawnCli(args: string[], state: string, wrap: string[] = []): Promise<Spawned> {
  const s = await spawnJson([...args, '--json'], { ENJAMBRE_DATA_DIR: join(root, state) }, wrap);
  children.push(s);
  return s;
}

async function stop(s: Spawned): Promise<void> {
  s.child.kill('SIGINT');
  const code = await s.exited;
  expect({ code, signal: s.child.signalCode, stderr: s.stderr() }).toEqual({
    code: 0,
    signal: null,
    stderr: '',
  });
}

async function dhtNode(ip: string, bootstrap: string[] = []): Promise<Dht> {
  const d = new Dht({ host: ip, bootstrap, queryTimeoutMs: 1000 });
  nodes.push(d);
  await d.start();
  return d;
}

/** Whether a UDP socket can be bound on ip:port now (closed again at once). */
function udpFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, ip, () => s.close(() => resolve(true)));
  });
}

test('get downloads a torrent with no tracker from a seed found through the DHT', async () => {
  const f = await fixture('dht');
  // two DHT nodes that do not know each other: the seeder joins through b only, so the leecher
  // finds it only if it used its second --dht-bootstrap too
  const a = await dhtNode(`${NET}.2`);
  const b = await dhtNode(`${NET}.3`);
  const dhtPort = await freePort();
  const seeder = await spawnCli(
    [
      'seed',
      f.torrent,
      '--dir',
      f.src,
      '--listen-host',
      `${NET}.10`,
      '--dht-port',
      String(dhtPort),
      '--dht-bootstrap',
      `${NET}.3:${b.port}`,
      '--no-lsd',
    ],
    'dht-seeder',
  );
  const seedPort = seeder.first.port as number;
  expect(await a.addNode(`${NET}.10`, dhtPort)).toBe(true); // its DHT node answers on --dht-port
  const h = Buffer.from(f.infoHash, 'hex');
  // b stores the announce; a lookup from another node of b's network gets it from b
  const probe = await dhtNode(`${NET}.5`, [`${NET}.3:${b.port}`]);
  await waitFor(
    async () =>
      (await probe.lookup(h)).peers.some((p) => p.ip === `${NET}.10` && p.port === seedPort),
    60_000,
    'the seeder announced on the DHT',
    500,
  );

  const dest = join(root, 'dht-got');
  const got = await run(
    [
      'get',
      f.torrent,
      '--dir',
      dest,
      '--listen-host',
      `${NET}.11`,
      '--dht-bootstrap',
      `${NET}.2:${a.port}`,
      '--dht-bootstrap',
      `${NET}.3:${b.port}`,
      '--no-lsd',
      '--json',
    ],
    { ENJAMBRE_DATA_DIR: join(root, 'dht-leecher') },
  );
  expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
  expect((await readFile(join(dest, f.file))).equals(f.data)).toBe(true);
  // the first --dht-bootstrap was asked too
  expect(a.nodes().some((n) => n.ip === `${NET}.11`)).toBe(true);
  await stop(seeder);
});

test('a standalone share is fetched by its magnet through the DHT alone', async () => {
  const router = await dhtNode(`${NET}.6`);
  const bootstrap = ['--dht-bootstrap', `${NET}.6:${router.port}`, '--no-lsd'];
  const src = join(root, 'shared');
  await mkdir(src, { recursive: true });
  const data = randomBytes(700_000);
  await writeFile(join(src, 'song.bin'), data);
  // no daemon on this data dir: share seeds in the foreground, with no tracker at all
  const share = await spawnCli(
    ['share', join(src, 'song.bin'), '--listen-host', `${NET}.30`, ...bootstrap],
    'share-state',
  );
  expect(share.first).toMatchObject({ event: 'shared', magnet: expect.stringMatching(/^magnet:/) });
  const magnet = share.first.magnet as string;
  expect(magnet).not.toContain('tr=');
  const probe = await dhtNode(`${NET}.7`, [`${NET}.6:${router.port}`]);
  const h = Buffer.from(share.first.infoHash as string, 'hex');
  await waitFor(
    async () => (await probe.lookup(h)).peers.some((p) => p.ip === `${NET}.30`),
    60_000,
    'the share announced on the DHT',
    500,
  );
  const dest = join(root, 'share-got');
  const got = await run(
    ['get', magnet, '--dir', dest, '--listen-host', `${NET}.31`, ...bootstrap, '--json'],
    { ENJAMBRE_DATA_DIR: join(root, 'share-leecher') },
  );
  expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
  expect((await readFile(join(dest, 'song.bin'))).equals(data)).toBe(true);
  await stop(share);
});

test('the DHT runs on the peer port by default, and --no-dht binds no UDP port', async () => {
  const f = await fixture('nodht');
  const probe = await dhtNode(`${NET}.4`);
  const port = await freePort();
  const args = ['seed', f.torrent, '--dir', f.src, '--listen-host', `${NET}.20`, '--no-lsd'];
  const on = await spawnCli([...args, '--port', String(port)], 'nodht-1');
  expect(on.first).toMatchObject({ event: 'seeding', port });
  expect(await probe.addNode(`${NET}.20`, port)).toBe(true);
  await stop(on);
  const off = await spawnCli([...args, '--port', String(port), '--no-dht'], 'nodht-2');
  expect(off.first).toMatchObject({ event: 'seeding', port });
  expect(await udpFree(`${NET}.20`, port)).toBe(true);
  await stop(off);
});

describe('in a network namespace with multicast on its loopback', () => {
  const ns = new LoopbackNamespace('ejclilsd');
  const inNs = ['ip', ...ns.exec()];
  beforeAll(() => ns.create([], true));
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    ns.destroy();
  });

  /** Whether something in the namespace has UDP port 6771 (LSD's) bound. */
  const lsdBound = () =>
    execFileSync('ip', [...ns.exec('ss', '-Hlun')], { encoding: 'utf8' })
      .split('\n')
      .some((l) => /:6771\b/.test(l));

  test('get finds a seed by LSD, with no tracker and no DHT; --no-lsd binds nothing', async () => {
    const f = await fixture('lsd');
    const common = ['--listen-host', '127.0.0.1', '--no-dht'];
    const seeder = await spawnCli(['seed', f.torrent, '--dir', f.src, ...common], 'lsd-s', inNs);
    expect(lsdBound()).toBe(true);
    const dest = join(root, 'lsd-got');
    const got = await run(
      ['get', f.torrent, '--dir', dest, ...common, '--json'],
      { ENJAMBRE_DATA_DIR: join(root, 'lsd-l') },
      120_000,
      inNs,
    );
    expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await readFile(join(dest, f.file))).equals(f.data)).toBe(true);
    await stop(seeder);

    const quiet = await spawnCli(
      ['seed', f.torrent, '--dir', f.src, ...common, '--no-lsd'],
      'lsd-q',
      inNs,
    );
    expect(quiet.first).toMatchObject({ event: 'seeding' });
    expect(lsdBound()).toBe(false);
    await stop(quiet);
  });
});
