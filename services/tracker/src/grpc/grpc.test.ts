import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { AnnounceEvent } from '@enjambre/proto';
import { HealthImplementation } from 'grpc-health-check';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type Client } from '@grpc/grpc-js';
import { protoPath } from 'grpc-health-check';
import type { RunningTracker } from '../tracker';
import { startTestTracker, trackerClient } from '../testing';

const hash = (n: number): Buffer => Buffer.alloc(20, n);
const id = (n: number): Buffer => Buffer.alloc(20, 100 + n);

async function code(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('expected the call to fail');
}

describe('gRPC Tracker service', () => {
  let tracker: RunningTracker;
  let client: ReturnType<typeof trackerClient>;
  beforeAll(async () => {
    tracker = await startTestTracker({ limits: { maxTorrents: 50 } });
    client = trackerClient(tracker.grpcPort);
  });
  afterAll(async () => {
    client.close();
    await tracker.close();
  });

  const announce = (n: number, over: Record<string, unknown> = {}) =>
    client.announce({
      infoHash: hash(1),
      peerId: id(n),
      event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
      uploaded: 0,
      downloaded: 0,
      left: 100,
      port: 7000 + n,
      ip: '',
      ...over,
    });

  it('publishes into the catalog and lists it with live counts', async () => {
    const r = await client.publish({
      infoHash: hash(1),
      peerId: id(1),
      ip: '',
      port: 7001,
      name: 'Debian 13 netinst',
      totalSize: 700_000_000,
      fileCount: 1,
    });
    expect(r).toEqual({ interval: 1800, seeders: 1, leechers: 0, listed: true });
    await announce(2);
    const page = await client.listTorrents({ pageSize: 10, pageToken: '', query: 'debian' });
    expect(page.torrents).toHaveLength(1);
    expect(page.torrents[0]).toMatchObject({
      name: 'Debian 13 netinst',
      totalSize: 700_000_000,
      fileCount: 1,
      seeders: 1,
      leechers: 1,
    });
    expect(Buffer.from(page.torrents[0].infoHash)).toEqual(hash(1));
    expect(page.nextPageToken).toBe('');
    expect(
      (await client.listTorrents({ pageSize: 0, pageToken: '', query: 'nothing' })).torrents,
    ).toEqual([]);
  });

  it('announces: the caller address by default, peers with ids and addresses', async () => {
    const r = await announce(3, { numwant: 10 });
    expect(r.interval).toBe(1800);
    expect(r.minInterval).toBe(60);
    expect([r.seeders, r.leechers]).toEqual([1, 2]);
    const peers = r.peers.map((p) => ({
      ...p,
      ip: Buffer.from(p.ip),
      peerId: Buffer.from(p.peerId),
    }));
    expect(peers).toHaveLength(2);
    expect(peers.map((p) => p.port).sort()).toEqual([7001, 7002]);
    for (const p of peers) {
      expect(p.address).toBe('127.0.0.1');
      expect(p.ip).toEqual(Buffer.from([127, 0, 0, 1]));
    }
    expect(peers.find((p) => p.port === 7001)?.peerId).toEqual(id(1));
    // A foreign ip field is not believed without --allow-ip-param.
    const explicit = await announce(4, { ip: '2001:db8::7', numwant: 0 });
    expect(explicit.peers).toEqual([]);
    const seen = await announce(5, { numwant: 50 });
    expect(seen.peers.find((p) => p.port === 7004)?.address).toBe('127.0.0.1');
  });

  it('counts completions and removes stopped peers; scrapes in order', async () => {
    await announce(3, { event: AnnounceEvent.ANNOUNCE_EVENT_COMPLETED, left: 0 });
    await announce(5, { event: AnnounceEvent.ANNOUNCE_EVENT_STOPPED });
    const s = await client.scrape({ infoHashes: [hash(9), hash(1)] });
    expect(
      s.entries.map((e) => [Buffer.from(e.infoHash)[0], e.complete, e.downloaded, e.incomplete]),
    ).toEqual([
      [9, 0, 0, 0],
      [1, 2, 1, 2],
    ]);
  });

  it.each([
    [
      'an info-hash that is not 20 bytes',
      { infoHash: Buffer.alloc(19) },
      /info_hash must be 20 bytes/,
    ],
    ['an empty peer id', { peerId: Buffer.alloc(0) }, /peer_id must be 20 bytes/],
    ['port 0', { port: 0 }, /port must be 1..65535/],
    ['port 70000', { port: 70000 }, /port must be 1..65535/],
    ['an absurd numwant', { numwant: 1_000_000 }, /numwant must be/],
    ['an unknown event', { event: 9 }, /unknown event/],
    ['an ip that is no address', { ip: 'example.org' }, /ip is not an IP address/],
  ])('refuses an announce with %s as INVALID_ARGUMENT', async (_label, over, message) => {
    const err = await code(announce(1, over));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
  });

  it('refuses malformed publish, scrape and list requests as INVALID_ARGUMENT', async () => {
    const pub = {
      infoHash: hash(2),
      peerId: id(1),
      ip: '',
      port: 1,
      name: 'x',
      totalSize: 1,
      fileCount: 1,
    };
    for (const [over, message] of [
      [{ name: '' }, /name must be/],
      [{ name: 'x'.repeat(2000) }, /name must be/],
      [{ fileCount: 0 }, /file_count/],
      [{ infoHash: Buffer.alloc(0) }, /info_hash/],
    ] as const) {
      const err = await code(client.publish({ ...pub, ...over }));
      expect([err.code, err.details]).toEqual([
        status.INVALID_ARGUMENT,
        expect.stringMatching(message),
      ]);
    }
    const tooMany = Array.from({ length: 75 }, (_, i) => hash(i));
    expect((await code(client.scrape({ infoHashes: tooMany }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await code(client.scrape({ infoHashes: [] }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await code(client.scrape({ infoHashes: [Buffer.alloc(21)] }))).details).toMatch(
      /info_hashes\[0\] must be 20 bytes/,
    );
    expect(
      (await code(client.listTorrents({ pageSize: 10, pageToken: 'nope', query: '' }))).code,
    ).toBe(status.INVALID_ARGUMENT);
    expect(
      (await code(client.listTorrents({ pageSize: 100_000, pageToken: '', query: '' }))).code,
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('refuses undecodable bytes and 64-bit counts beyond 2^53 as INVALID_ARGUMENT', async () => {
    const rawCall = (bytes: Buffer) =>
      new Promise<{ code: number; details: string }>((resolve, reject) =>
        client.raw.makeUnaryRequest(
          '/enjambre.tracker.v1.Tracker/Announce',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (err) =>
            err ? resolve({ code: err.code, details: err.details }) : reject(new Error('accepted')),
        ),
      );
    const garbage = await rawCall(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x99]));
    expect(garbage.code).toBe(status.INVALID_ARGUMENT);
    expect(garbage.details).toMatch(/malformed request/);
    // Field 4 (uploaded), varint 2^63.
    const huge = Buffer.from([0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect((await rawCall(huge)).code).toBe(status.INVALID_ARGUMENT);
  });

  it('answers RESOURCE_EXHAUSTED when the torrent cap is reached, and keeps serving', async () => {
    const results: Array<{ code: number } | null> = [];
    for (let n = 10; n < 70; n++)
      results.push(await code(announce(1, { infoHash: hash(n) })).catch(() => null));
    expect(results.some((r) => r?.code === status.RESOURCE_EXHAUSTED)).toBe(true);
    expect(tracker.store.stats().torrents).toBeLessThanOrEqual(50);
    expect((await client.scrape({ infoHashes: [hash(1)] })).entries).toHaveLength(1);
  });

  it('serves grpc.health.v1 as SERVING', async () => {
    expect(HealthImplementation).toBeDefined();
    const def = loadPackageDefinition(loadSync(protoPath, { enums: String })) as unknown as {
      grpc: {
        health: {
          v1: {
            Health: new (a: string, c: ReturnType<typeof credentials.createInsecure>) => Client;
          };
        };
      };
    };
    const health = new def.grpc.health.v1.Health(
      `127.0.0.1:${tracker.grpcPort}`,
      credentials.createInsecure(),
    );
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        (
          health as unknown as {
            check(
              r: { service: string },
              cb: (e: Error | null, r: { status: string }) => void,
            ): void;
          }
        ).check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('enjambre.tracker.v1.Tracker')).toBe('SERVING');
    health.close();
  });
});

describe('gRPC compact announce', () => {
  let tracker: RunningTracker;
  let client: ReturnType<typeof trackerClient>;
  beforeAll(async () => {
    tracker = await startTestTracker({ allowIpParam: true });
    client = trackerClient(tracker.grpcPort);
  });
  afterAll(async () => {
    client.close();
    await tracker.close();
  });

  const announce = (n: number, ip: string, compact: boolean) =>
    client.announce({
      infoHash: hash(3),
      peerId: id(n),
      event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
      uploaded: 0,
      downloaded: 0,
      left: 100,
      port: 7000 + n,
      ip,
      compact,
    });

  it('answers both families as BEP 23 bytes, the same peers as the full answer', async () => {
    await announce(1, '192.0.2.1', false);
    await announce(2, '2001:db8::2', false);
    const c = await announce(3, '192.0.2.3', true);
    expect(c.peers).toEqual([]);
    expect(Buffer.from(c.peers4)).toEqual(Buffer.from([192, 0, 2, 1, 0x1b, 0x59]));
    expect(Buffer.from(c.peers6)).toEqual(
      Buffer.concat([
        Buffer.from('20010db8000000000000000000000002', 'hex'),
        Buffer.from([0x1b, 0x5a]),
      ]),
    );
    const full = await announce(4, '192.0.2.4', false);
    expect(full.peers4).toHaveLength(0);
    expect(full.peers6).toHaveLength(0);
    expect(full.peers.map((p) => `${p.address}:${p.port}`).sort()).toEqual([
      '192.0.2.1:7001',
      '192.0.2.3:7003',
      '2001:db8::2:7002',
    ]);
  });
});

describe('gRPC AnnounceMany', () => {
  let tracker: RunningTracker;
  let client: ReturnType<typeof trackerClient>;
  beforeAll(async () => {
    tracker = await startTestTracker({ announceRate: { rate: 0.001, burst: 4 } });
    client = trackerClient(tracker.grpcPort);
  });
  afterAll(async () => {
    client.close();
    await tracker.close();
  });

  const req = (torrent: number, n: number, over: Record<string, unknown> = {}) => ({
    infoHash: hash(torrent),
    peerId: id(n),
    event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
    uploaded: 0,
    downloaded: 0,
    left: 100,
    port: 7000 + n,
    ip: '',
    compact: true,
    ...over,
  });

  it('answers each announce in order as Announce would, one refusal failing only itself', async () => {
    const r = await client.announceMany({
      announces: [req(5, 1), req(5, 2), req(5, 3, { infoHash: Buffer.alloc(3) }), req(6, 4)],
    });
    expect(r.outcomes.map((o) => o.code)).toEqual([
      status.OK,
      status.OK,
      status.INVALID_ARGUMENT,
      status.OK,
    ]);
    expect(r.outcomes[2].error).toMatch(/info_hash/);
    expect(r.outcomes[2].response).toBeUndefined();
    expect(Buffer.from(r.outcomes[1].response?.peers4 ?? [])).toEqual(
      Buffer.from([127, 0, 0, 1, 0x1b, 0x59]),
    );
    expect(r.outcomes.map((o) => o.response?.leechers)).toEqual([1, 2, undefined, 1]);
    // Every valid announce of a batch takes a token: three so far, a burst of four.
    const limited = await client.announceMany({ announces: [req(7, 5), req(7, 6)] });
    expect(limited.outcomes.map((o) => o.code)).toEqual([status.OK, status.RESOURCE_EXHAUSTED]);
  });

  it.each([
    ['no announces', 0],
    ['more than 512', 513],
  ])('refuses a batch with %s', async (_name, count) => {
    const announces = Array.from({ length: count }, (_, i) => req(8, i));
    const e = await code(client.announceMany({ announces }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/1\.\.512/);
  });
});
