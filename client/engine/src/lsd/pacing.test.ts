// LSD pacing with real multicast sockets on an unused port (nobody listens; only what we send is
// counted): many torrents are announced a few per second, and each once per interval, spread.
import { randomBytes, randomInt } from 'node:crypto';
import { Lsd } from './lsd';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await wait(20);
  }
}

test('a hundred torrents: 20 announced at once, the rest 20 a second, then spread', async () => {
  const interval = 10_000;
  const lsd = new Lsd({
    peerPort: 6881,
    port: randomInt(20000, 60000),
    interface: '127.0.0.1',
    ipv6: false,
    announceIntervalMs: interval,
  });
  try {
    await lsd.start();
  } catch {
    return; // no multicast on this host's loopback: nothing to measure
  }
  const started = Date.now();
  const sent = () => lsd.stats().announcesSent;
  try {
    for (let i = 0; i < 100; i++) lsd.announce(randomBytes(20));
    expect(sent()).toBe(20);
    // each pacing tick sends at most 20 more: never all at once
    let last = sent();
    await until(
      'every torrent announced once',
      () => {
        expect(sent() - last).toBeLessThanOrEqual(20);
        last = sent();
        return sent() === 100;
      },
      15_000,
    );
    // the periodic round begins one interval after start and sends a share each tick
    await until('the round under way', () => sent() > 100, interval + 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(interval - 50);
    expect(sent()).toBeLessThan(150);
  } finally {
    await lsd.close();
  }
}, 30_000);
