// LSD (BEP 14) against python3-libtorrent (lt_dht.py with LSD on), both on loopback inside a fresh network namespace
// (multicast on loopback needs one: the host's own loopback is shared with other tests).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ManagedProcess, removeLater, stopAll } from '../peers/process';
import { tempDir, waitFor } from '../peers/util';
import { collectJson as collect } from './helpers';
import { LoopbackNamespace } from './netns';

const ns = new LoopbackNamespace('ejlsd');

describe('LSD with libtorrent in a network namespace', () => {
  beforeAll(() => ns.create([], true));
  afterAll(async () => {
    await stopAll();
    ns.destroy();
  });

  it('libtorrent finds us, we find libtorrent, and we ignore our own announces', async () => {
    const ours = randomBytes(20).toString('hex');
    const theirs = randomBytes(20).toString('hex');
    const dir = await tempDir('lsd');
    removeLater(dir);
    const lt = new ManagedProcess(
      'lt-lsd',
      'ip',
      ns.exec(
        '/usr/bin/python3',
        path.join(__dirname, 'lt_dht.py'),
        JSON.stringify({
          ip: '127.0.0.1',
          dht: false,
          lsd: true,
          lsd_interval: 1,
          announce: [theirs],
          dir,
          every: 3600,
        }),
      ),
    );
    const ltLines = collect(lt);
    const child = new ManagedProcess(
      'enjambre-lsd',
      'ip',
      ns.node(
        path.join(__dirname, 'lsd-child.ts'),
        JSON.stringify({ announce: [ours, theirs], interval: 1000 }),
      ),
    );
    const lines = collect(child);
    const ltPort = (
      await waitFor(
        () => ltLines.find((l) => l.type === 'listening'),
        20000,
        'libtorrent listening',
      )
    ).port as number;
    const started = await waitFor(
      () => lines.find((l) => l.type === 'started'),
      20000,
      'lsd child started',
    );
    // we hear libtorrent's announce of its torrent, with its peer port
    await waitFor(
      () => lines.some((l) => l.type === 'peer' && l.infoHash === theirs && l.port === ltPort),
      30000,
      `enjambre hears libtorrent (${child.tail()})`,
    );
    // libtorrent heard ours for the torrent it has, and dialed our peer port
    await waitFor(
      () => lines.some((l) => l.type === 'dialed' && l.infoHash === theirs),
      30000,
      `libtorrent dials enjambre (${lt.tail()})`,
    );
    // our own announces came back through multicast loopback and were ignored
    await waitFor(
      () => lines.some((l) => l.type === 'stats' && (l.ownIgnored as number) > 0),
      10000,
      'own announces ignored',
    );
    expect(lines.some((l) => l.type === 'peer' && l.port === started.peerPort)).toBe(false);
  }, 90000);
});
