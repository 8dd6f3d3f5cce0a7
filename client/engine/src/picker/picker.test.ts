import fc from 'fast-check';
import { BLOCK_SIZE, PiecePicker, type BlockRequest, type PickerPeer } from './picker';

const peerWith = (pieces: Iterable<number> | 'all'): PickerPeer => {
  if (pieces === 'all') return { hasPiece: () => true };
  const s = new Set(pieces);
  return { hasPiece: (i) => s.has(i) };
};

function downloadAll(p: PiecePicker, peers: PickerPeer[]): number {
  let rounds = 0;
  while (p.missingWanted > 0 && rounds++ < 100_000) {
    for (const peer of peers) {
      const out: BlockRequest[] = [];
      p.pick(peer, 8, out);
      for (const r of out) {
        p.received(peer, r.index, r.begin, []);
        if (p.isComplete(r.index)) p.setHave(r.index);
      }
    }
  }
  return rounds;
}

test('picks the rarest piece first', () => {
  const p = new PiecePicker(10, 4 * BLOCK_SIZE, 4 * BLOCK_SIZE);
  for (let i = 0; i < 10; i++) {
    p.addHave(i);
    p.addHave(i);
  }
  for (let i = 0; i < 4; i++) p.setHave(i); // past the random-first phase
  p.removeHave(7); // piece 7 now the rarest
  const out: BlockRequest[] = [];
  p.pick(peerWith('all'), 1, out);
  expect(out[0].index).toBe(7);
});

test('skips pieces no peer has and pieces of skipped files, keeps high priority first', () => {
  const p = new PiecePicker(6, BLOCK_SIZE, BLOCK_SIZE);
  for (let i = 0; i < 6; i++) p.addHave(i);
  p.setPriorities(Uint8Array.from([0, 1, 1, 2, 1, 0]));
  const out: BlockRequest[] = [];
  p.pick(peerWith('all'), 1, out);
  expect(out[0].index).toBe(3);
  const all: BlockRequest[] = [];
  p.pick(peerWith('all'), 100, all);
  expect(new Set(all.map((r) => r.index))).toEqual(new Set([1, 2, 4, 3]));
  expect(p.missingWanted).toBe(4);
});

test('sequential mode goes in order and fetch-first comes before it', () => {
  const p = new PiecePicker(8, BLOCK_SIZE, 100);
  p.addSeed();
  p.setSequential(true);
  p.fetchFirst([6]);
  const out: BlockRequest[] = [];
  const peer = peerWith('all');
  p.pick(peer, 4, out);
  expect(out.map((r) => r.index)).toEqual([6, 0, 1, 2]);
  p.pick(peer, 10, out);
  expect(out[out.length - 1]).toEqual({ index: 7, begin: 0, length: 100 });
});

test('released blocks are picked again; a failed piece starts over', () => {
  const p = new PiecePicker(1, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  p.addSeed();
  const a = peerWith('all');
  const b = peerWith('all');
  const out: BlockRequest[] = [];
  p.pick(a, 2, out);
  expect(out).toHaveLength(2);
  p.release(a, 0, BLOCK_SIZE);
  const out2: BlockRequest[] = [];
  p.pick(b, 1, out2);
  expect(out2).toEqual([{ index: 0, begin: BLOCK_SIZE, length: BLOCK_SIZE }]);
  p.received(a, 0, 0, []);
  p.received(b, 0, BLOCK_SIZE, []);
  expect(p.isComplete(0)).toBe(true);
  expect(p.contributors(0)).toEqual(new Set([a, b]));
  p.pieceFailed(0);
  const out3: BlockRequest[] = [];
  p.pick(a, 5, out3);
  expect(out3).toHaveLength(2);
});

test('claim takes the free blocks of a named piece, never one held, skipped or out of range', () => {
  const p = new PiecePicker(4, 2 * BLOCK_SIZE, BLOCK_SIZE);
  p.setPriorities(Uint8Array.from([1, 1, 0, 1]));
  p.setHave(0);
  const a = peerWith('all');
  const b = peerWith('all');
  const out: BlockRequest[] = [];
  expect(p.claim(a, 0, 9, out)).toBe(0); // held
  expect(p.claim(a, 2, 9, out)).toBe(0); // skipped
  expect(p.claim(a, 4, 9, out)).toBe(0); // no such piece
  expect(p.claim(a, 1, 1, out)).toBe(1);
  expect(p.claim(b, 1, 9, out)).toBe(1); // the block `a` has is not free
  expect(p.claim(a, 3, 9, out)).toBe(1); // the short last piece
  expect(out).toEqual([
    { index: 1, begin: 0, length: BLOCK_SIZE },
    { index: 1, begin: BLOCK_SIZE, length: BLOCK_SIZE },
    { index: 3, begin: 0, length: BLOCK_SIZE },
  ]);
  expect(p.contributors(1)).toEqual(new Set([a, b]));
});

test('endgame duplicates outstanding blocks and reports whom to cancel', () => {
  const p = new PiecePicker(1, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE);
  p.addSeed();
  const a = peerWith('all');
  const b = peerWith('all');
  const out: BlockRequest[] = [];
  p.pick(a, 2, out);
  const dup: BlockRequest[] = [];
  p.pick(b, 2, dup);
  expect(dup).toHaveLength(2);
  const cancel: PickerPeer[] = [];
  expect(p.received(b, 0, 0, cancel)).toBe(true);
  expect(cancel).toEqual([a]);
  expect(p.received(a, 0, 0, [])).toBe(false); // duplicate arrival is not counted twice
});

test('property: any mix of peers and releases downloads every wanted piece exactly once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.array(fc.nat(39), { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom(0, 1, 2), { minLength: 40, maxLength: 40 }),
      (pieces, peerSets, prios) => {
        const p = new PiecePicker(pieces, 3 * BLOCK_SIZE, 1000);
        p.setPriorities(Uint8Array.from(prios.slice(0, pieces)));
        const peers = peerSets.map((s) => peerWith(s.filter((i) => i < pieces)));
        peers.push(peerWith('all'));
        for (const s of peerSets) for (const i of new Set(s)) if (i < pieces) p.addHave(i);
        p.addSeed();
        downloadAll(p, peers);
        expect(p.missingWanted).toBe(0);
        for (let i = 0; i < pieces; i++) expect(p.hasPiece(i)).toBe(prios[i] > 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('picking stays cheap at 4096 pieces of 64 blocks', () => {
  const p = new PiecePicker(4096, 64 * BLOCK_SIZE, 64 * BLOCK_SIZE);
  const peers = Array.from({ length: 8 }, () => peerWith('all'));
  for (const _ of peers) p.addSeed();
  downloadAll(p, peers);
  expect(p.completedCount).toBe(4096);
});
