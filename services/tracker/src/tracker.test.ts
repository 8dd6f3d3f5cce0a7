import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  decodeCompactPeers,
  decodeHttpAnnounceResponse,
  decodeHttpScrapeResponse,
} from '@enjambre/bittorrent';
import { AnnounceEvent } from '@enjambre/proto';
import type { RunningTracker } from './tracker';
import {
  UdpTestClient,
  httpGet,
  parseResponses,
  percentAll,
  rawRequest,
  startTestTracker,
  trackerClient,
} from './testing';

function fetchText(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

describe('one store behind three front ends', () => {
  let tracker: RunningTracker;
  beforeAll(async () => {
    tracker = await startTestTracker();
  });
  afterAll(() => tracker.close());

  it('shows a peer that announced over UDP to HTTP and gRPC clients, with the same counts', async () => {
    const infoHash = Buffer.alloc(20, 0x77);
    const udp = new UdpTestClient(tracker.udpPort as number);
    await udp.announce({
      infoHash,
      peerId: Buffer.alloc(20, 1),
      downloaded: 0,
      left: 0,
      uploaded: 0,
      event: 'started',
      ip: 0,
      key: 0,
      numWant: 0,
      port: 7101,
    });
    udp.close();
    const http = await httpGet(
      tracker.httpPort as number,
      `/announce?info_hash=${percentAll(infoHash)}&peer_id=${percentAll(Buffer.alloc(20, 2))}&port=7102&left=10`,
    );
    const h = decodeHttpAnnounceResponse(http.body);
    if (h.failureReason !== undefined) throw new Error(h.failureReason);
    expect(h.peers).toEqual([{ ip: '127.0.0.1', port: 7101 }]);

    const grpc = trackerClient(tracker.grpcPort);
    const g = await grpc.announce({
      infoHash,
      peerId: Buffer.alloc(20, 3),
      event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
      uploaded: 0,
      downloaded: 0,
      left: 10,
      port: 7103,
      ip: '',
    });
    expect(g.peers.map((p) => p.port).sort()).toEqual([7101, 7102]);
    expect([g.seeders, g.leechers]).toEqual([1, 2]);
    // The compact answer (what enjambre's engine asks for) names the same peers.
    const c = await grpc.announce({
      infoHash,
      peerId: Buffer.alloc(20, 3),
      event: AnnounceEvent.ANNOUNCE_EVENT_NONE,
      uploaded: 0,
      downloaded: 0,
      left: 10,
      port: 7103,
      ip: '',
      compact: true,
    });
    expect(c.peers).toEqual([]);
    expect(c.peers6).toHaveLength(0);
    expect(decodeCompactPeers(c.peers4, 4).sort((a, b) => a.port - b.port)).toEqual(
      g.peers.map((p) => ({ ip: p.address, port: p.port })).sort((a, b) => a.port - b.port),
    );
    expect([c.seeders, c.leechers]).toEqual([1, 2]);
    const gs = await grpc.scrape({ infoHashes: [infoHash] });
    grpc.close();
    const hs = decodeHttpScrapeResponse(
      (await httpGet(tracker.httpPort as number, `/scrape?info_hash=${percentAll(infoHash)}`)).body,
    );
    if (hs.failureReason !== undefined) throw new Error(hs.failureReason);
    const u = new UdpTestClient(tracker.udpPort as number);
    const us = await u.scrape([infoHash]);
    u.close();
    const expected = { complete: 1, downloaded: 0, incomplete: 2 };
    expect(gs.entries[0]).toMatchObject(expected);
    expect(hs.files[0]).toMatchObject(expected);
    expect(us).toMatchObject({ action: 'scrape', files: [expected] });
  });

  it('serves /metrics with the documented names, /healthz and /readyz', async () => {
    const port = tracker.metricsPort as number;
    const metrics = await fetchText(port, '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'enjambre_tracker_announces_total{protocol="udp",event="started"} 1',
      'enjambre_tracker_announces_total{protocol="http",event="none"} 1',
      'enjambre_tracker_announces_total{protocol="grpc",event="started"} 1',
      'enjambre_tracker_scrapes_total{protocol="grpc"} 1',
      'enjambre_tracker_request_duration_seconds_bucket',
      'enjambre_tracker_torrents 1',
      'enjambre_tracker_seeders 1',
      'enjambre_tracker_leechers 2',
      'enjambre_tracker_catalog_torrents 0',
      'enjambre_tracker_persistence_duration_seconds',
      'enjambre_tracker_errors_total',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics.text).toContain(name);
    }
    expect(await fetchText(port, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await fetchText(port, '/readyz')).toEqual({ status: 200, text: 'ready\n' });
    expect((await fetchText(port, '/other')).status).toBe(404);
  });
});

describe('TLS', () => {
  let dir: string;
  let tracker: RunningTracker;
  let cert: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enjambre-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    tracker = await startTestTracker({ tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
  }, 60_000);
  afterAll(async () => {
    await tracker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves gRPC over TLS to a client that trusts the certificate', async () => {
    const client = trackerClient(tracker.grpcPort, credentials.createSsl(cert));
    try {
      const r = await client.scrape({ infoHashes: [Buffer.alloc(20)] });
      expect(r.entries).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it('refuses a clear-text gRPC client', async () => {
    const client = trackerClient(tracker.grpcPort, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
    });
    try {
      const err = await client.scrape({ infoHashes: [Buffer.alloc(20)] }).then(
        () => null,
        (e: ServiceError) => e,
      );
      expect(err?.code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });

  it('serves the HTTP tracker over HTTPS and gives clear-text HTTP no answer', async () => {
    const res = await httpGet(
      tracker.httpPort as number,
      '/scrape?info_hash=' + percentAll(Buffer.alloc(20)),
      {
        tls: true,
      },
    );
    expect(res.status).toBe(200);
    expect(decodeHttpScrapeResponse(res.body)).toHaveProperty('files');
    const plain = await rawRequest(tracker.httpPort as number, 'GET /scrape HTTP/1.1\r\n\r\n', {
      idleMs: 1000,
    });
    expect(parseResponses(plain)).toEqual([]);
  });
});
