// A hostile DHT: garbage, floods from one address, many ids from one IP, forged answers and
// silent nodes. The node under attack must stay up, bounded, and end with a working table.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { Dht } from '@enjambre/engine';
import { decodeKrpc, encode, encodeQuery, encodeResponse } from '@enjambre/bittorrent';
import { closeAll, startNetwork } from './helpers';

const NET = 64;

function udp(ip: string): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, ip, () => resolve(s));
  });
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a DHT node under attack', () => {
  let nodes: Dht[] = [];
  const sockets: dgram.Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await closeAll(nodes);
  });

  it('survives garbage, floods and poisoning, and still finds peers', async () => {
    nodes = await startNetwork(10, NET, { rateLimit: { rate: 20, burst: 50 } });
    const victim = nodes[9];
    const to = { port: victim.port, ip: `127.0.${NET}.19` };

    // 1. poisoning: 40 ids from one IP, all in the victim's farthest bucket, each answering pings
    const evilIp = `127.0.${NET}.80`;
    for (let i = 0; i < 40; i++) {
      const s = await udp(evilIp);
      sockets.push(s);
      const id = randomBytes(20);
      id[0] = (victim.nodeId[0] ^ 0x80) & 0xff; // bucket 0 of the victim
      s.on('message', (m) => {
        try {
          const q = decodeKrpc(m);
          if (q.type === 'query') s.send(encodeResponse(q.t, { id, nodes: [] }), to.port, to.ip);
        } catch {
          // not ours to judge
        }
      });
      s.send(encodeQuery(randomBytes(2), 'ping', { id }), to.port, to.ip);
    }

    await tick(500);

    // 2. garbage from a few addresses, including queries with bad arguments (answered with 203)
    const errors: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await udp(`127.0.${NET}.${50 + i}`);
      sockets.push(s);
      s.on('message', (m) => {
        const d = decodeKrpc(m);
        if (d.type === 'error') errors.push(d.code);
      });
      for (let j = 0; j < 40; j++) s.send(randomBytes(1 + ((j * 37) % 300)), to.port, to.ip);
      s.send(Buffer.alloc(5000, 0x64), to.port, to.ip); // oversized
      s.send(Buffer.from('d1:t2:aa1:y1:q1:q9:find_node1:ad2:id3:abcee'), to.port, to.ip); // bad id
      s.send(
        encode({ t: 'bb', y: 'q', q: 'no_such_method', a: { id: randomBytes(20) } }),
        to.port,
        to.ip,
      );
      // forged answers to queries never sent
      s.send(encodeResponse(randomBytes(2), { id: randomBytes(20), nodes: [] }), to.port, to.ip);
    }

    // 3. a flood of pings from one address
    const flooder = await udp(`127.0.${NET}.70`);
    sockets.push(flooder);
    let floodAnswers = 0;
    flooder.on('message', () => floodAnswers++);
    const flood = 2000;
    for (let i = 0; i < flood; i++) {
      flooder.send(
        encodeQuery(Buffer.from([i >> 8, i & 255]), 'ping', { id: randomBytes(20) }),
        to.port,
        to.ip,
      );
      if (i % 200 === 0) await tick(5);
    }

    // 4. a node that never answers
    const silent = await udp(`127.0.${NET}.90`);
    sockets.push(silent);
    expect(await victim.addNode(`127.0.${NET}.90`, silent.address().port)).toBe(false);

    await tick(300);
    const st = victim.stats();
    expect(st.counters.droppedMalformed).toBeGreaterThanOrEqual(4 * 40);
    expect(st.counters.droppedRateLimited).toBeGreaterThan(0);
    expect(st.counters.droppedUnknownTransaction).toBeGreaterThanOrEqual(4);
    expect(st.counters.timeouts).toBeGreaterThanOrEqual(1);
    expect(floodAnswers).toBeLessThan(flood);
    expect(errors).toContain(203);
    expect(errors).toContain(204);
    const fromEvil = victim.nodes().filter((n) => n.ip === evilIp);
    expect(fromEvil.length).toBeGreaterThan(0); // they did get in, but only two of them
    expect(fromEvil.length).toBeLessThanOrEqual(2);

    // the table still works
    const h = randomBytes(20);
    await nodes[2].announce(h, 2222);
    const r = await victim.lookup(h);
    expect(r.peers).toContainEqual({ ip: `127.0.${NET}.12`, port: 2222 });
    expect(victim.nodes().filter((n) => n.ip.startsWith(`127.0.${NET}.1`)).length).toBeGreaterThan(
      3,
    );
  }, 60000);
});
