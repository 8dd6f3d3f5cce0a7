/**
 * The tracker side of the codecs against a real client: Debian's libtorrent 2.0 announces and
 * scrapes to a minimal HTTP tracker and a minimal UDP tracker built on our codecs (127.0.0.1,
 * ports from the OS). We parse what it sends; libtorrent marking both trackers "verified" shows it
 * accepted our answers.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describePeerId } from '@enjambre/bittorrent';
import { CodecTracker, startCodecTracker, waitFor } from './codec-tracker';

const FILE_LENGTH = 100_000;

// Seeds a file announcing to both trackers; prints its state once both have answered, then
// scrapes both and waits for stdin to close. v1-only, so it announces one info-hash (a hybrid
// torrent also announces its truncated v2 hash); ssrf_mitigation off, or libtorrent refuses any
// localhost tracker path but /announce, scrapes included.
const CLIENT = `
import json, sys, time, libtorrent as lt
d, http_url, udp_url = sys.argv[1:4]
fs = lt.file_storage()
lt.add_files(fs, d + '/data.bin')
ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
ct.add_tracker(http_url, 0)
ct.add_tracker(udp_url, 1)
lt.set_piece_hashes(ct, d)
ti = lt.torrent_info(ct.generate())
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'announce_to_all_tiers': True,
                  'announce_to_all_trackers': True, 'ssrf_mitigation': False, 'alert_mask': 0})
h = ses.add_torrent({'ti': ti, 'save_path': d})
deadline = time.time() + 60
while not all(t['verified'] for t in h.trackers()):
    if time.time() > deadline:
        break
    time.sleep(0.05)
print(json.dumps({'infoHash': str(ti.info_hash()), 'port': ses.listen_port(),
                  'trackers': [{'url': t['url'], 'verified': t['verified'],
                                'message': t['message']} for t in h.trackers()]}), flush=True)
h.scrape_tracker(0)
h.scrape_tracker(1)
sys.stdin.read()
`;

let dir: string;
let client: ChildProcess | undefined;
let tracker: CodecTracker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-lt-tracker-'));
  writeFileSync(join(dir, 'data.bin'), randomBytes(FILE_LENGTH));
  tracker = await startCodecTracker();
});

afterAll(async () => {
  client?.stdin?.end();
  client?.kill();
  await tracker.close();
  rmSync(dir, { recursive: true, force: true });
});

test('libtorrent announces and scrapes to trackers built on our codecs', async () => {
  const { httpUrl, udpUrl, errors } = tracker;
  client = spawn('/usr/bin/python3', ['-c', CLIENT, dir, httpUrl, udpUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const proc = client;
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`libtorrent script exited with ${code}`)));
  });
  const state = JSON.parse(line) as {
    infoHash: string;
    port: number;
    trackers: { url: string; verified: boolean; message: string }[];
  };

  expect(errors).toEqual([]);
  const byUrl = [...state.trackers].sort((a, b) => a.url.localeCompare(b.url));
  expect(byUrl).toEqual([
    { url: httpUrl, verified: true, message: '' },
    { url: udpUrl, verified: true, message: '' },
  ]);

  const infoHash = Buffer.from(state.infoHash, 'hex');
  const h = tracker.httpAnnounces[0];
  expect(h.infoHash).toEqual(infoHash);
  expect(h.port).toBe(state.port);
  expect(h.event).toBe('started');
  expect(h.left).toBe(0);
  expect(h.compact).toBe(true);
  expect(describePeerId(h.peerId)).toMatch(/^libtorrent \(Rasterbar\) 2\.0\.8/);

  const u = tracker.udpAnnounces[0];
  expect(u.infoHash).toEqual(infoHash);
  expect(u.peerId).toEqual(h.peerId);
  expect(u.port).toBe(state.port);
  expect(u.event).toBe('started');
  expect(u.left).toBe(0);
  expect(u.key).toBeGreaterThanOrEqual(0);

  // the scrapes libtorrent sends after printing
  await waitFor(() => tracker.httpScrapes.length > 0 && tracker.udpScrapes.length > 0, 30_000);
  expect(errors).toEqual([]);
  expect(tracker.httpScrapes[0]).toEqual({ infoHashes: [infoHash] });
  expect(tracker.udpScrapes[0].infoHashes).toEqual([infoHash]);
}, 90_000);
