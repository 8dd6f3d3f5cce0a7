/**
 * The tracker side of the codecs against a real client: Debian's libtorrent 2.0 announces and
 * scrapes to a minimal HTTP tracker and a minimal UDP tracker built on our codecs (127.0.0.1,
 * ports from the OS). We parse what it sends; libtorrent marking both trackers "verified" shows it
 * accepted our answers.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Socket as UdpSocket, createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  HttpAnnounceRequest,
  HttpScrapeRequest,
  UdpAnnounceRequest,
  UdpScrapeRequest,
  decodeUdpRequest,
  describePeerId,
  encodeCompactPeers,
  encodeHttpAnnounceResponse,
  encodeHttpFailure,
  encodeHttpScrapeResponse,
  encodeUdpAnnounceResponse,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  udpTransactionId,
} from '@enjambre/bittorrent';

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
let http: Server;
let udp: UdpSocket;
const httpAnnounces: HttpAnnounceRequest[] = [];
const httpScrapes: HttpScrapeRequest[] = [];
const udpAnnounces: UdpAnnounceRequest[] = [];
const udpScrapes: UdpScrapeRequest[] = [];
const errors: string[] = [];
const connectionId = randomBytes(8);
const fakePeers = encodeCompactPeers([{ ip: '127.0.0.1', port: 9 }], 4);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-lt-tracker-'));
  writeFileSync(join(dir, 'data.bin'), randomBytes(FILE_LENGTH));

  http = createServer((req, res) => {
    const url = req.url ?? '';
    let body: Buffer;
    try {
      if (url.startsWith('/announce')) {
        const a = parseAnnounceQuery(url);
        httpAnnounces.push(a);
        body = encodeHttpAnnounceResponse({
          interval: 1800,
          minInterval: 60,
          complete: 7,
          incomplete: 3,
          peers: fakePeers,
        });
      } else if (url.startsWith('/scrape')) {
        const s = parseScrapeQuery(url);
        httpScrapes.push(s);
        body = encodeHttpScrapeResponse({
          files: s.infoHashes.map((infoHash) => ({
            infoHash,
            complete: 7,
            downloaded: 11,
            incomplete: 3,
          })),
        });
      } else {
        body = encodeHttpFailure('unknown path');
      }
    } catch (e) {
      errors.push(String(e));
      body = encodeHttpFailure(String(e));
    }
    res.end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));

  udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    let answer: Buffer;
    try {
      const r = decodeUdpRequest(msg);
      if (r.action === 'connect') {
        answer = encodeUdpConnectResponse(r.transactionId, connectionId);
      } else if (!r.connectionId.equals(connectionId)) {
        answer = encodeUdpErrorResponse(r.transactionId, 'bad connection id');
      } else if (r.action === 'announce') {
        udpAnnounces.push(r);
        answer = encodeUdpAnnounceResponse({
          transactionId: r.transactionId,
          interval: 1800,
          leechers: 3,
          seeders: 7,
          peers: fakePeers,
          family: 4,
        });
      } else {
        udpScrapes.push(r);
        answer = encodeUdpScrapeResponse(
          r.transactionId,
          r.infoHashes.map(() => ({ complete: 7, downloaded: 11, incomplete: 3 })),
        );
      }
    } catch (e) {
      errors.push(String(e));
      answer = encodeUdpErrorResponse(Math.max(0, udpTransactionId(msg)), String(e));
    }
    udp.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
});

afterAll(async () => {
  client?.stdin?.end();
  client?.kill();
  await new Promise((r) => http.close(r));
  await new Promise<void>((r) => udp.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('libtorrent announces and scrapes to trackers built on our codecs', async () => {
  const httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/announce`;
  const udpUrl = `udp://127.0.0.1:${udp.address().port}/announce`;
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
  const h = httpAnnounces[0];
  expect(h.infoHash).toEqual(infoHash);
  expect(h.port).toBe(state.port);
  expect(h.event).toBe('started');
  expect(h.left).toBe(0);
  expect(h.compact).toBe(true);
  expect(describePeerId(h.peerId)).toMatch(/^libtorrent \(Rasterbar\) 2\.0\.8/);

  const u = udpAnnounces[0];
  expect(u.infoHash).toEqual(infoHash);
  expect(u.peerId).toEqual(h.peerId);
  expect(u.port).toBe(state.port);
  expect(u.event).toBe('started');
  expect(u.left).toBe(0);
  expect(u.key).toBeGreaterThanOrEqual(0);

  // the scrapes libtorrent sends after printing
  for (let i = 0; i < 200 && (httpScrapes.length === 0 || udpScrapes.length === 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(errors).toEqual([]);
  expect(httpScrapes[0]).toEqual({ infoHashes: [infoHash] });
  expect(udpScrapes[0].infoHashes).toEqual([infoHash]);
}, 90_000);
