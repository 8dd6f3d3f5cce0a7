/**
 * The client side of the tracker codecs against a real tracker: Debian's opentracker on
 * 127.0.0.1, spoken to over HTTP (announce, scrape, refusal) and UDP (connect, announce, scrape).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HttpAnnounceRequestInit,
  buildAnnounceUrl,
  buildScrapeUrl,
  decodeHttpAnnounceResponse,
  decodeHttpScrapeResponse,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
  scrapeUrlFor,
  UdpResponse,
} from '@enjambre/bittorrent';

const hashA = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
const hashB = Buffer.from('89abcdef0123456789abcdef0123456789abcdef', 'hex');
const notListed = Buffer.alloc(20, 0x5a);

let dir: string;
let tracker: ChildProcess;
let tcpPort: number;
let udpPort: number;

/** A port the OS just handed out (opentracker cannot report the one it binds). */
async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'tcp') {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    return port;
  }
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

function httpGet(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // opentracker closes each connection after answering: no keep-alive agent
    get(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-opentracker-'));
  chmodSync(dir, 0o755); // opentracker chroots here and drops privileges
  writeFileSync(join(dir, 'whitelist'), `${hashA.toString('hex')}\n${hashB.toString('hex')}\n`);
  tcpPort = await freePort('tcp');
  udpPort = await freePort('udp');
  tracker = spawn(
    'opentracker',
    ['-i', '127.0.0.1', '-p', String(tcpPort), '-P', String(udpPort), '-d', dir, '-w', 'whitelist'],
    { stdio: 'ignore' },
  );
  // wait until it answers
  for (let i = 0; ; i++) {
    try {
      await httpGet(`http://127.0.0.1:${tcpPort}/scrape`);
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 30_000);

afterAll(() => {
  tracker?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const announceUrl = () => `http://127.0.0.1:${tcpPort}/announce`;
const peer = (n: number, left: number): HttpAnnounceRequestInit => ({
  infoHash: hashA,
  peerId: Buffer.from(`-EJ0100-${String(n).padStart(12, '0')}`),
  port: 40000 + n,
  uploaded: 0,
  downloaded: 0,
  left,
  event: 'started',
  numWant: 50,
});

test('HTTP: announce, compact peers, scrape and refusal', async () => {
  const seed = decodeHttpAnnounceResponse(
    await httpGet(buildAnnounceUrl(announceUrl(), peer(1, 0))),
  );
  if (seed.failureReason !== undefined) throw new Error(seed.failureReason);
  const leech = decodeHttpAnnounceResponse(
    await httpGet(buildAnnounceUrl(announceUrl(), peer(2, 1000))),
  );
  if (leech.failureReason !== undefined) throw new Error(leech.failureReason);
  expect(leech.interval).toBeGreaterThan(0);
  expect(leech.complete).toBe(1);
  expect(leech.incomplete).toBe(1);
  expect(leech.peers).toContainEqual({ ip: '127.0.0.1', port: 40001 });

  const scrapeUrl = scrapeUrlFor(announceUrl());
  expect(scrapeUrl).toBe(`http://127.0.0.1:${tcpPort}/scrape`);
  const scrape = decodeHttpScrapeResponse(await httpGet(buildScrapeUrl(scrapeUrl!, [hashA])));
  if (scrape.failureReason !== undefined) throw new Error(scrape.failureReason);
  expect(scrape.files).toEqual([{ infoHash: hashA, complete: 1, downloaded: 0, incomplete: 1 }]);

  const refused = decodeHttpAnnounceResponse(
    await httpGet(buildAnnounceUrl(announceUrl(), { ...peer(3, 0), infoHash: notListed })),
  );
  expect(refused.failureReason).toMatch(/not authorized/);
});

test('UDP: connect, announce with peers, scrape', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const ask = (packet: Buffer) =>
    new Promise<UdpResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from opentracker')), 10_000);
      sock.once('message', (msg) => {
        clearTimeout(timer);
        try {
          resolve(decodeUdpResponse(msg, 4));
        } catch (e) {
          reject(e);
        }
      });
      sock.send(packet, udpPort, '127.0.0.1');
    });
  try {
    const conn = await ask(encodeUdpConnectRequest(0x1234));
    if (conn.action !== 'connect') throw new Error(`got ${conn.action}`);
    expect(conn.transactionId).toBe(0x1234);
    const base = {
      connectionId: conn.connectionId,
      infoHash: hashB,
      downloaded: 0,
      uploaded: 0,
      event: 'started' as const,
      ip: 0,
      key: 1,
      numWant: 50,
    };
    const a1 = await ask(
      encodeUdpAnnounceRequest({
        ...base,
        transactionId: 1,
        peerId: Buffer.from('-EJ0100-udp000000001'),
        left: 0,
        port: 41001,
      }),
    );
    expect(a1).toMatchObject({ action: 'announce', transactionId: 1, seeders: 1, leechers: 0 });
    const a2 = await ask(
      encodeUdpAnnounceRequest({
        ...base,
        transactionId: 2,
        peerId: Buffer.from('-EJ0100-udp000000002'),
        left: 5,
        port: 41002,
      }),
    );
    if (a2.action !== 'announce') throw new Error(`got ${a2.action}`);
    expect(a2.seeders).toBe(1);
    expect(a2.leechers).toBe(1);
    expect(a2.interval).toBeGreaterThan(0);
    expect(a2.peers).toContainEqual({ ip: '127.0.0.1', port: 41001 });

    const sc = await ask(encodeUdpScrapeRequest(conn.connectionId, 3, [hashB, hashA]));
    expect(sc).toEqual({
      action: 'scrape',
      transactionId: 3,
      files: [
        { complete: 1, downloaded: 0, incomplete: 1 },
        expect.objectContaining({ complete: expect.any(Number) }),
      ],
    });
  } finally {
    sock.close();
  }
});
