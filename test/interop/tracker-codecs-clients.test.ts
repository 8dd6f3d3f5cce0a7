/**
 * Tracker-side parsing of what real clients send: aria2 (HTTP) and transmission-cli (HTTP and
 * UDP) seed torrents made by mktorrent and announce to a tracker built on our codecs. Every request must
 * parse, with the torrent's info-hash, the client's port and a peer id naming the client.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePeerId, parseTorrent } from '@enjambre/bittorrent';
import { CodecTracker, startCodecTracker, waitFor } from './codec-tracker';

let dir: string;
let tracker: CodecTracker;
const procs: ChildProcess[] = [];

/** A free TCP port (these clients take a fixed listening port, not 0). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Makes `dir/name` and a torrent of it with mktorrent; returns the torrent path and info-hash. */
function makeTorrent(name: string, announce: string[][]): { path: string; infoHash: Buffer } {
  writeFileSync(join(dir, name), randomBytes(50_000));
  const path = join(dir, `${name}.torrent`);
  const args = ['-l', '15', '-o', path];
  for (const tier of announce) args.push('-a', tier.join(','));
  execFileSync('mktorrent', [...args, join(dir, name)], { stdio: 'ignore' });
  return { path, infoHash: parseTorrent(readFileSync(path)).infoHashBuffer };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-clients-'));
  tracker = await startCodecTracker();
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await tracker.close();
  rmSync(dir, { recursive: true, force: true });
});

// aria2 speaks UDP to trackers only with its DHT on, which test peers keep off: HTTP only.
test('aria2 announces over HTTP', async () => {
  const viaHttp = makeTorrent('aria-http.bin', [[tracker.httpUrl]]);
  const port = await freePort();
  procs.push(
    spawn(
      'aria2c',
      [
        `--dir=${dir}`,
        '--enable-dht=false',
        '--enable-dht6=false',
        '--bt-enable-lpd=false',
        '--enable-peer-exchange=false',
        `--listen-port=${port}`,
        '--bt-seed-unverified=true',
        '--seed-time=5',
        '--summary-interval=0',
        '--console-log-level=error',
        viaHttp.path,
      ],
      { stdio: 'ignore' },
    ),
  );
  const isAria = (id: Buffer) => describePeerId(id).startsWith('aria2 ');
  await waitFor(() => tracker.httpAnnounces.some((a) => isAria(a.peerId)), 60_000);
  expect(tracker.errors).toEqual([]);
  const h = tracker.httpAnnounces.find((a) => isAria(a.peerId))!;
  expect(h.infoHash).toEqual(viaHttp.infoHash);
  expect(h.port).toBe(port);
  expect(h.left).toBe(0);
  expect(h.key).toHaveLength(8); // 8 binary bytes
  expect(h.noPeerId).toBe(true);
}, 90_000);

test('transmission-cli announces over HTTP and UDP', async () => {
  const t = makeTorrent('tr.bin', [[tracker.httpUrl], [tracker.udpUrl]]);
  const config = join(dir, 'transmission');
  mkdirSync(config);
  const port = await freePort();
  writeFileSync(
    join(config, 'settings.json'),
    JSON.stringify({
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'port-forwarding-enabled': false,
      'utp-enabled': false,
      'peer-port': port,
      'bind-address-ipv4': '127.0.0.1',
    }),
  );
  procs.push(
    spawn('transmission-cli', ['-g', config, '-w', dir, '-p', String(port), t.path], {
      stdio: 'ignore',
    }),
  );
  const isTr = (id: Buffer) => describePeerId(id).startsWith('Transmission ');
  await waitFor(
    () =>
      tracker.httpAnnounces.some((a) => isTr(a.peerId) && a.event === 'started') &&
      tracker.udpAnnounces.some((a) => isTr(a.peerId) && a.event === 'started'),
    60_000,
  );
  expect(tracker.errors).toEqual([]);
  const h = tracker.httpAnnounces.find((a) => isTr(a.peerId) && a.event === 'started')!;
  const u = tracker.udpAnnounces.find((a) => isTr(a.peerId) && a.event === 'started')!;
  for (const a of [h, u]) {
    expect(a.infoHash).toEqual(t.infoHash);
    expect(a.port).toBe(port);
    expect(a.left).toBe(0);
  }
  expect(u.peerId).toEqual(h.peerId);
}, 90_000);
