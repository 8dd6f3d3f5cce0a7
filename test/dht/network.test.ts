// Our own DHT nodes on loopback addresses: lookups, announces, persistence, read-only mode.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import path from 'node:path';
import { Dht } from '@enjambre/engine';
import {
  decodeKrpc,
  encodeQuery,
  encodeResponse,
  nodeIdMatchesAddress,
} from '@enjambre/bittorrent';
import { removeDir, tempDir } from '../peers/util';
import { closeAll, startNetwork } from './helpers';

const NET = 61; // 127.0.61.x; other DHT tests use other subnets

describe('a network of enjambre DHT nodes', () => {
  let nodes: Dht[] = [];
  afterEach(async () => {
    await closeAll(nodes);
    nodes = [];
  });

  it('finds the peers another node announced, and knows the closest nodes', async () => {
    nodes = await startNetwork(24, NET);
    for (const d of nodes) expect(d.nodeCount).toBeGreaterThan(3);
    const infoHash = randomBytes(20);
    const a = await nodes[5].announce(infoHash, 7777);
    expect(a.announcedTo).toBeGreaterThan(0);
    const seen: unknown[] = [];
    nodes[20].on('peers', (h, peers) => h.equals(infoHash) && seen.push(...peers));
    const r = await nodes[20].lookup(infoHash);
    expect(r.peers).toContainEqual({ ip: '127.0.61.15', port: 7777 });
    expect(seen).toContainEqual({ ip: '127.0.61.15', port: 7777 });
    // the nodes it reports are really the closest ones among all nodes that answered
    const all = nodes.filter((d) => d !== nodes[20]).map((d) => d.nodeId);
    const dist = (id: Buffer) => Buffer.from(id.map((b, i) => b ^ infoHash[i]));
    all.sort((x, y) => Buffer.compare(dist(x), dist(y)));
    expect(r.closest[0].id).toEqual(all[0]);
    // the node that stores it samples it (BEP 51)
    const holder = nodes.find((d) => d.stats().storedTorrents > 0)!;
    const at = `127.0.61.${10 + nodes.indexOf(holder)}`;
    const s = await nodes[0].sampleInfohashes({ ip: at, port: holder.port });
    expect(s.samples.map((x) => x.toString('hex'))).toContain(infoHash.toString('hex'));
    expect(s.num).toBeGreaterThan(0);
  });

  it('saves its table and rejoins without bootstrap nodes after a restart', async () => {
    const dir = await tempDir('dht-db');
    try {
      nodes = await startNetwork(10, NET);
      const first = new Dht({
        host: '127.0.61.99',
        bootstrap: [`127.0.61.10:${nodes[0].port}`],
        dataDir: path.join(dir, 'dht'),
        queryTimeoutMs: 1000,
      });
      await first.start();
      const id = first.nodeId;
      const count = first.nodeCount;
      expect(count).toBeGreaterThan(3);
      await first.close();
      const again = new Dht({
        host: '127.0.61.99',
        dataDir: path.join(dir, 'dht'),
        queryTimeoutMs: 1000,
      });
      nodes.push(again);
      await again.start();
      expect(again.nodeId).toEqual(id);
      expect(again.nodeCount).toBeGreaterThan(3);
      const h = randomBytes(20);
      await nodes[3].announce(h, 1234);
      expect((await again.lookup(h)).peers).toContainEqual({ ip: '127.0.61.13', port: 1234 });
    } finally {
      await removeDir(dir);
    }
  });

  it('read-only (BEP 43): asks and announces but never answers nor enters tables', async () => {
    let answered = false;
    nodes = await startNetwork(8, NET);
    const ro = new Dht({
      host: '127.0.61.98',
      readOnly: true,
      bootstrap: [`127.0.61.10:${nodes[0].port}`],
      queryTimeoutMs: 1000,
    });
    nodes.push(ro);
    await ro.start();
    expect(ro.nodeCount).toBeGreaterThan(3);
    const h = randomBytes(20);
    expect((await ro.announce(h, 4321)).announcedTo).toBeGreaterThan(0);
    expect((await nodes[7].lookup(h)).peers).toContainEqual({ ip: '127.0.61.98', port: 4321 });
    for (const d of nodes.slice(0, 8)) {
      expect(d.nodes().some((n) => n.ip === '127.0.61.98')).toBe(false);
    }
    // a direct ping gets no answer, while the same ping to another node does
    const sock = dgram.createSocket('udp4');
    const s2 = dgram.createSocket('udp4');
    try {
      await new Promise<void>((r) => sock.bind(0, '127.0.61.97', () => r()));
      sock.on('message', () => (answered = true));
      sock.send(
        encodeQuery(Buffer.from('aa'), 'ping', { id: randomBytes(20) }),
        ro.port,
        '127.0.61.98',
      );
      const control = await new Promise<Buffer>((resolve) => {
        s2.bind(0, '127.0.61.96', () => {
          s2.on('message', (m) => decodeKrpc(m).type === 'response' && resolve(m));
          s2.send(
            encodeQuery(Buffer.from('bb'), 'ping', { id: randomBytes(20) }),
            nodes[0].port,
            '127.0.61.10',
          );
        });
      });
      expect(decodeKrpc(control).t).toEqual(Buffer.from('bb'));
    } finally {
      sock.close();
      s2.close();
    }
    expect(answered).toBe(false);
  });
  it('dual-stack (BEP 32): one socket keeps an IPv4 and an IPv6 table and finds IPv6 peers', async () => {
    const x = new Dht({ queryTimeoutMs: 1000 }); // no host: dual-stack '::' when available
    const v4 = new Dht({ host: '127.0.61.50', queryTimeoutMs: 1000 });
    const v6a = new Dht({ host: '::1', queryTimeoutMs: 1000 });
    const v6b = new Dht({ host: '::1', queryTimeoutMs: 1000 });
    nodes = [x, v4, v6a, v6b];
    for (const d of nodes) await d.start();
    expect(await x.addNode('127.0.61.50', v4.port)).toBe(true);
    expect(await x.addNode('::1', v6a.port)).toBe(true);
    expect(x.stats()).toMatchObject({ nodes4: 1, nodes6: 1 });
    expect(await v6b.addNode('::1', x.port)).toBe(true);
    const h = randomBytes(20);
    expect((await v6a.announce(h, 6006)).announcedTo).toBeGreaterThan(0);
    expect((await v6b.lookup(h)).peers).toContainEqual({ ip: '::1', port: 6006 });
    // an IPv4 querier gets no IPv6 peers in `values`
    expect((await v4.lookup(h)).peers).toEqual([]);
  });
  it('BEP 42: its id follows the public address three answering nodes report', async () => {
    const me = new Dht({ host: '127.0.61.60', queryTimeoutMs: 1000 });
    nodes = [me];
    await me.start();
    const first = me.nodeId;
    const liars: dgram.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = dgram.createSocket('udp4');
        liars.push(s);
        await new Promise<void>((r) => s.bind(0, `127.0.61.${70 + i}`, () => r()));
        const id = randomBytes(20);
        s.on('message', (m) => {
          const q = decodeKrpc(m);
          if (q.type !== 'query') return;
          const reply = encodeResponse(q.t, { id }, { ip: { ip: '203.0.113.7', port: 6881 } });
          s.send(reply, me.port, '127.0.61.60');
        });
        expect(await me.addNode(`127.0.61.${70 + i}`, s.address().port)).toBe(true);
        if (i < 2) expect(me.nodeId).toEqual(first); // two votes are not enough
      }
      expect(me.externalIp).toBe('203.0.113.7');
      expect(me.nodeId).not.toEqual(first);
      expect(nodeIdMatchesAddress(me.nodeId, '203.0.113.7')).toBe(true);
      expect(me.nodeCount).toBe(3); // the table was kept
    } finally {
      for (const s of liars) s.close();
    }
  });
});
