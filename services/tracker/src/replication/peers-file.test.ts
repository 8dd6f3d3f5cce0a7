import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PeersFileWatcher, dialTarget, parsePeersFile } from './peers-file';

describe('parsePeersFile', () => {
  it('reads the original format with host names and addresses', () => {
    const peers = parsePeersFile(
      JSON.stringify({
        'enjambre-tracker-0.enjambre-tracker-peers:8168': {
          ip: 'enjambre-tracker-0.enjambre-tracker-peers',
          port: 8168,
        },
        '10.77.0.2:8168': { ip: '10.77.0.2', port: 8168 },
        '[2001:db8::1]:8168': { ip: '2001:db8::1', port: 8168 },
      }),
    );
    expect(peers.map(dialTarget)).toEqual([
      'enjambre-tracker-0.enjambre-tracker-peers:8168',
      '10.77.0.2:8168',
      '[2001:db8::1]:8168',
    ]);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a bad port', '{"a:1": {"ip": "a", "port": 70000}}'],
    ['a missing ip', '{"a:1": {"port": 1}}'],
    ['an ip with a path', '{"a:1": {"ip": "a/b", "port": 1}}'],
    ['a string entry', '{"a:1": "a"}'],
  ])('refuses %s with a clear message', (_name, text) => {
    expect(() => parsePeersFile(text)).toThrow(/peers file/);
  });

  it('never throws anything but a clear Error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parsePeersFile(text);
        } catch (err) {
          expect((err as Error).message).toMatch(/peers file/);
        }
      }),
    );
  });
});

it('sees a ConfigMap-style symlink swap and keeps the last good list on a bad file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-peers-'));
  try {
    // Kubernetes mounts ..data -> ..<timestamp>/ and peers.json -> ..data/peers.json.
    const write = (name: string, peers: object) => {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'peers.json'), JSON.stringify(peers));
      fs.symlinkSync(name, path.join(dir, '..data_tmp'));
      fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    };
    write('..v1', { 'a:1': { ip: 'a', port: 1 } });
    fs.symlinkSync('..data/peers.json', path.join(dir, 'peers.json'));
    const seen: string[][] = [];
    const errors: string[] = [];
    const w = new PeersFileWatcher(
      path.join(dir, 'peers.json'),
      60_000,
      (p) => seen.push(p.map((x) => x.name)),
      (e) => errors.push(e.message),
    );
    await w.start();
    write('..v2', { 'a:1': { ip: 'a', port: 1 }, 'b:2': { ip: 'b', port: 2 } });
    await w.poll();
    await w.poll();
    fs.writeFileSync(path.join(dir, '..v2', 'peers.json'), '{ broken');
    await w.poll();
    await w.poll();
    w.stop();
    expect(seen).toEqual([['a:1'], ['a:1', 'b:2']]);
    expect(errors).toHaveLength(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
