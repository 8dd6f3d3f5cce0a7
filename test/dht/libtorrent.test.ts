// Interop with python3-libtorrent DHT nodes, each on its own loopback address.
import { randomBytes } from 'node:crypto';
import { Dht } from '@enjambre/engine';
import { stopAll } from '../peers/process';
import { waitFor } from '../peers/util';
import { startLtDht, type LtDhtNode } from './libtorrent-dht';

const NET = '127.0.62';

describe('DHT interop with libtorrent', () => {
  const ours: Dht[] = [];
  let a: LtDhtNode;
  let b: LtDhtNode;
  let c: LtDhtNode;
  const h1 = randomBytes(20).toString('hex'); // announced by libtorrent
  const h2 = randomBytes(20).toString('hex'); // announced by us

  beforeAll(async () => {
    a = await startLtDht({ ip: `${NET}.2` });
    const d1 = new Dht({ host: `${NET}.10`, bootstrap: [a.address], queryTimeoutMs: 1500 });
    await d1.start();
    ours.push(d1);
    b = await startLtDht({
      ip: `${NET}.3`,
      nodes: [a.address, `${NET}.10:${d1.port}`],
      announce: [h1],
    });
    c = await startLtDht({
      ip: `${NET}.4`,
      nodes: [a.address, `${NET}.10:${d1.port}`],
      getPeers: [h2],
    });
    const d2 = new Dht({
      host: `${NET}.11`,
      bootstrap: [a.address, b.address],
      queryTimeoutMs: 1500,
    });
    await d2.start();
    ours.push(d2);
  });

  afterAll(async () => {
    await Promise.all(ours.map((d) => d.close()));
    await stopAll();
  });

  it('our node, bootstrapped from a libtorrent node, finds the peer a libtorrent client announced', async () => {
    const want = `${NET}.3:${b.port}`;
    await waitFor(
      async () => {
        const r = await ours[0].lookup(Buffer.from(h1, 'hex'));
        return r.peers.some((p) => `${p.ip}:${p.port}` === want);
      },
      40000,
      `enjambre finds ${want} for ${h1}`,
      500,
    );
    // libtorrent nodes entered our table through the protocol
    expect(ours[0].nodes().some((n) => n.ip === `${NET}.2`)).toBe(true);
  }, 60000);

  it('a libtorrent client finds the peer we announced', async () => {
    const want = `${NET}.10:5555`;
    await waitFor(
      async () => {
        await ours[0].announce(Buffer.from(h2, 'hex'), 5555);
        return c.peers.get(h2)?.has(want);
      },
      40000,
      `libtorrent finds ${want} for ${h2}`,
      1000,
    );
    expect(c.nodes).toBeGreaterThan(0);
  }, 60000);
});
