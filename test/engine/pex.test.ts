import path from 'node:path';
import { waitFor } from '../peers';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('pex');

test('peer exchange (BEP 11): a leecher learns the seeder from another leecher', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'p.bin', 1_000_000, { pieceLength: 32 * 1024 });
  const [a, b, c] = await Promise.all(
    ['a', 'b', 'c'].map((n) => startSession(path.join(ws.root, n))),
  );
  ws.sessions.push(a, b, c);
  await a.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const tb = await b.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got-b') });
  tb.addPeer(`127.0.0.1:${a.port}`);
  await waitDone(tb);
  const tc = await c.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got-c') });
  tc.addPeer(`127.0.0.1:${b.port}`); // c is only told about b
  await waitFor(
    () =>
      tc
        .peers()
        .some(
          (p) => p.address === `127.0.0.1:${a.port}` && p.source === 'pex' && p.flags.includes('X'),
        ),
    60_000,
    'c connected to a, learnt over PEX',
  );
  await waitDone(tc);
  await expectSameFiles(t, path.join(ws.root, 'got-c'), 'p.bin', true);
});
