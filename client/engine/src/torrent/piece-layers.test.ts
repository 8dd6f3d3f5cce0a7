import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodeTorrent, parseTorrent } from '@enjambre/bittorrent';
import { createTorrentFromPath } from '../create-from-path';
import { fromMetainfo } from '../metainfo-adapter';
import { PieceLayers } from './piece-layers';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'enjambre-layers-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Saved layers (a resume record) are hostile input too: only those leading to a root count. */
test('restore takes a saved layer only when it hashes up to its file root', async () => {
  await mkdir(path.join(tmp, 'share'));
  await writeFile(path.join(tmp, 'share', 'a.bin'), randomBytes(200_000));
  await writeFile(path.join(tmp, 'share', 'b.bin'), randomBytes(100_000));
  await writeFile(path.join(tmp, 'share', 'c.bin'), randomBytes(90_000));
  const created = await createTorrentFromPath(path.join(tmp, 'share'), {
    format: 'v2',
    pieceLength: 16384,
  });
  const full = parseTorrent(created.torrent);
  // as a magnet leaves it: the info dictionary alone
  const meta = fromMetainfo(parseTorrent(encodeTorrent(created.metainfo.infoBuffer)));
  const v2 = meta.v2!;
  expect(v2.layers.size).toBe(0);
  const arrived: number[] = [];
  const layers = new PieceLayers({ ...meta, v2 }, (f) => arrived.push(f));
  // the data files, between pad files (v2 pieces are file-aligned)
  const [a, b, c] = [...full.pieceLayers!.keys()];
  const key = (f: number) => v2.roots[f]!.toString('hex');
  const right = (f: number) => full.pieceLayers!.get(f)!;
  const forged = Buffer.from(right(b));
  forged[5] ^= 1;
  layers.restore(
    new Map([
      [key(a), right(a)],
      [key(b), forged],
      [key(c), right(c).subarray(32)], // short by a hash
    ]),
  );
  expect(arrived).toEqual([a]);
  expect(v2.layers.get(a)?.equals(right(a))).toBe(true);
  expect(layers.complete).toBe(false);
  expect([...layers.learned().keys()]).toEqual([key(a)]);
  layers.restore(new Map([b, c].map((f) => [key(f), right(f)])));
  expect(layers.complete).toBe(true);
});
