// LSD pacing with real multicast sockets on an unused port (nobody listens; only what we send is
// counted): many torrents are announced a few per second, and each once per interval, spread.
import { randomBytes, randomInt } from 'node:crypto';
import { Lsd } from './lsd';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a hundred torrents: 20 announced at once, the rest over the next seconds, then spread', async () => {
  const lsd = new Lsd({
    peerPort: 6881,
    port: randomInt(20000, 60000),
    interface: '127.0.0.1',
    ipv6: false,
    announceIntervalMs: 10_000,
  });
  try {
    await lsd.start();
  } catch {
    return; // no multicast on this host's loopback: nothing to measure
  }
  try {
    for (let i = 0; i < 100; i++) lsd.announce(randomBytes(20));
    expect(lsd.stats().announcesSent).toBe(20);
    await wait(1_300);
    expect(lsd.stats().announcesSent).toBe(40);
    await wait(4_000);
    expect(lsd.stats().announcesSent).toBe(100);
    // the periodic round starts one interval after start and sends its share each second
    await wait(5_200);
    const sent = lsd.stats().announcesSent - 100;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(40);
  } finally {
    await lsd.close();
  }
}, 20_000);
