// Red team, the tracker's catalog over real gRPC: entries expire, belong to their publisher,
// page in bounded work and are found by words.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import {
  publishSignedBytes,
  rawPublicKey,
  signBytes,
  withdrawSignedBytes,
  type PublishRequest,
} from '@enjambre/proto';
import type { RunningTracker, TrackerOptions } from '@enjambre/tracker';
import { testing } from '@enjambre/tracker';
import { hash, peerId } from './tracker-net';

const { startTestTracker, trackerClient } = testing;

let t: RunningTracker;
let client: ReturnType<typeof trackerClient>;
afterEach(async () => {
  client?.close();
  await t?.close();
});

async function start(options: TrackerOptions = {}): Promise<void> {
  t = await startTestTracker({ publishRate: { rate: 0, burst: 1 }, ...options });
  client = trackerClient(t.grpcPort);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signedPublish(
  key: KeyObject,
  req: Omit<PublishRequest, 'publisherKey' | 'signedAtMs' | 'signature'>,
  at = Date.now(),
): PublishRequest {
  return {
    ...req,
    publisherKey: rawPublicKey(key),
    signedAtMs: at,
    signature: signBytes(key, publishSignedBytes({ ...req, signedAtMs: at })),
  };
}

function signedWithdraw(key: KeyObject, infoHash: Buffer, at = Date.now()) {
  return {
    infoHash,
    publisherKey: rawPublicKey(key),
    signedAtMs: at,
    signature: signBytes(key, withdrawSignedBytes(infoHash, at)),
  };
}

const entry = (n: number, name = `torrent ${n}`) => ({
  infoHash: hash(n),
  peerId: peerId(n),
  ip: '',
  port: 7000 + n,
  name,
  totalSize: 1000,
  fileCount: 1,
});

async function listAll(
  query = '',
  pageSize = 500,
): Promise<{ names: string[]; calls: number; sizes: number[] }> {
  const names: string[] = [];
  const sizes: number[] = [];
  let pageToken = '';
  let calls = 0;
  do {
    const page = await client.listTorrents({ pageSize, pageToken, query });
    calls++;
    sizes.push(page.torrents.length);
    names.push(...page.torrents.map((x) => x.name));
    pageToken = page.nextPageToken;
    if (calls > 1000) throw new Error('paging does not end');
  } while (pageToken !== '');
  return { names, calls, sizes };
}

async function failure(p: Promise<unknown>): Promise<{ code?: number; details?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

describe('catalog expiry', () => {
  it('drops an entry once no seeder was seen for the TTL; a seeded one stays', async () => {
    await start({
      limits: { interval: 1, minInterval: 1, grace: 0, catalogTtl: 2 },
      sweepEvery: 0.2,
    });
    await client.publish(entry(1, 'abandoned'));
    await client.publish(entry(2, 'kept'));
    expect((await listAll()).names).toEqual(['abandoned', 'kept']);
    let names: string[] = [];
    for (let i = 0; i < 150; i++) {
      await client.publish(entry(2, 'kept')); // its seeder stays
      names = (await listAll()).names;
      if (!names.includes('abandoned')) break;
      await sleep(100);
    }
    expect(names).toEqual(['kept']);
  });
});

describe('catalog ownership', () => {
  const owner = generateKeyPairSync('ed25519').privateKey;
  const thief = generateKeyPairSync('ed25519').privateKey;

  it('refuses a refresh or withdrawal by another key, and replays', async () => {
    await start();
    const first = await client.publish(signedPublish(owner, entry(1, 'Debian 13 netinst')));
    expect(first.listed).toBe(true);
    const stolen = await client.publish(signedPublish(thief, entry(1, 'totally legit')));
    expect(stolen.listed).toBe(false);
    // Without a key the address owns nothing of a key's entry either.
    expect((await client.publish(entry(1, 'unsigned'))).listed).toBe(false);
    expect((await listAll()).names).toEqual(['Debian 13 netinst']);
    for (const attempt of [
      client.withdraw(signedWithdraw(thief, hash(1))),
      client.withdraw({ infoHash: hash(1) }),
    ]) {
      expect((await failure(attempt)).code).toBe(status.PERMISSION_DENIED);
    }
    // A forged signature (the thief signs, the owner's key is claimed) does not verify.
    const forged = { ...signedWithdraw(thief, hash(1)), publisherKey: rawPublicKey(owner) };
    expect((await failure(client.withdraw(forged))).code).toBe(status.INVALID_ARGUMENT);
    // The owner refreshes from anywhere, and withdraws; the same signature cannot be replayed.
    const at = Date.now();
    expect((await client.publish(signedPublish(owner, entry(1, 'Debian 13.1'), at))).listed).toBe(
      true,
    );
    const withdrawal = signedWithdraw(owner, hash(1), at + 1);
    await client.withdraw(withdrawal);
    expect((await listAll()).names).toEqual([]);
    await client.publish(signedPublish(owner, entry(1, 'Debian 13.1'), at + 2));
    expect((await listAll()).names).toEqual(['Debian 13.1']);
    expect((await failure(client.withdraw(withdrawal))).code).toBe(status.PERMISSION_DENIED);
    expect((await listAll()).names).toEqual(['Debian 13.1']);
  });

  it('an entry published without a key belongs to its address', async () => {
    // 127.0.0.1 is a trusted proxy here, so x-forwarded-for makes a call come from elsewhere.
    await start({ trustedProxies: '127.0.0.1' });
    await client.publish(entry(2, 'from home'));
    const elsewhere = new Metadata();
    elsewhere.set('x-forwarded-for', '198.51.100.7');
    const publishFrom = (req: PublishRequest, md: Metadata) =>
      new Promise<{ listed: boolean }>((resolve, reject) =>
        client.raw.publish(req, md, (err, res) => (err ? reject(err) : resolve(res))),
      );
    const noKey = { publisherKey: Buffer.alloc(0), signedAtMs: 0, signature: Buffer.alloc(0) };
    expect((await publishFrom({ ...entry(2, 'hijacked'), ...noKey }, elsewhere)).listed).toBe(
      false,
    );
    const withdrawn = new Promise<void>((resolve, reject) =>
      client.raw.withdraw({ infoHash: hash(2), ...noKey }, elsewhere, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    expect((await failure(withdrawn)).code).toBe(status.PERMISSION_DENIED);
    expect((await listAll()).names).toEqual(['from home']);
    await client.withdraw({ infoHash: hash(2) });
    expect((await listAll()).names).toEqual([]);
  });

  it('limits publishes per address', async () => {
    t = await startTestTracker({ publishRate: { rate: 0.0001, burst: 3 } });
    client = trackerClient(t.grpcPort);
    for (let n = 1; n <= 3; n++) await client.publish(entry(n));
    expect((await failure(client.publish(entry(4)))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await listAll()).names).toHaveLength(3);
  });
});

describe('catalog paging and search', () => {
  it('pages through 10,000 entries visiting each exactly once, with bounded work per call', async () => {
    await start();
    const N = 10_000;
    const ip = Buffer.from([127, 0, 0, 1]);
    // Half the names hold "alpha", half "beta"; only the very last holds both.
    for (let n = 0; n < N; n++) {
      const info = Buffer.alloc(20);
      info.writeUInt32BE(n + 1, 0);
      const word = n === N - 1 ? 'alpha beta' : n % 2 ? 'alpha' : 'beta';
      t.store.publish({
        infoHash: info,
        peerId: peerId(1),
        ip,
        port: 7000,
        name: `entry ${n} ${word}`,
        totalSize: 1,
        fileCount: 1,
      });
    }
    const all = await listAll('', 500);
    expect(all.names).toHaveLength(N);
    expect(new Set(all.names).size).toBe(N);
    expect(all.names[0]).toBe('entry 0 beta');
    expect(all.calls).toBe(N / 500);
    // Two common words with one entry in common: no call walks the whole list (5,000 entries)
    // to find it, so the first pages come back empty with a token.
    const both = await listAll('Alpha BETA', 50);
    expect(both.names).toEqual([`entry ${N - 1} alpha beta`]);
    expect(both.calls).toBeGreaterThan(1);
    expect(both.sizes.slice(0, -1).every((n) => n === 0)).toBe(true);
  });

  it('entries added or removed between pages do not make others repeat or vanish', async () => {
    await start();
    for (let n = 1; n <= 30; n++) await client.publish(entry(n));
    const seen: string[] = [];
    let page = await client.listTorrents({ pageSize: 10, pageToken: '', query: '' });
    seen.push(...page.torrents.map((x) => x.name));
    await client.withdraw({ infoHash: hash(5) }); // already seen
    await client.withdraw({ infoHash: hash(15) }); // not yet seen
    await client.publish(entry(40));
    while (page.nextPageToken !== '') {
      page = await client.listTorrents({ pageSize: 10, pageToken: page.nextPageToken, query: '' });
      seen.push(...page.torrents.map((x) => x.name));
    }
    const expected = [...Array(30).keys()]
      .map((i) => `torrent ${i + 1}`)
      .filter((n) => n !== 'torrent 15');
    expect(seen).toEqual([...expected, 'torrent 40']);
  });

  it('searches by words of the name, any case, all words required, the last one as typed', async () => {
    await start();
    await client.publish(entry(1, 'Debian 13 netinst (amd64).iso'));
    await client.publish(entry(2, 'debianish photos'));
    await client.publish(entry(3, 'Ubuntu 24.04 desktop'));
    const search = async (q: string) => (await listAll(q)).names;
    expect(await search('netinst debian')).toEqual(['Debian 13 netinst (amd64).iso']);
    expect(await search('debian')).toEqual(['Debian 13 netinst (amd64).iso', 'debianish photos']);
    expect(await search('debian netinst')).toEqual(['Debian 13 netinst (amd64).iso']);
    expect(await search('AMD64 Deb')).toEqual(['Debian 13 netinst (amd64).iso']);
    expect(await search('debian ubuntu')).toEqual([]);
    expect(await search('24')).toEqual(['Ubuntu 24.04 desktop']);
    expect(await search('esktop')).toEqual([]);
    expect(await search('')).toHaveLength(3);
  });
});
