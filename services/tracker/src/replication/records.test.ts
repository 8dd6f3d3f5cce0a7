// Hostile input: whatever another replica (or a bug in one) sends, decoding and applying it never
// throws, applies only well-formed records, and counts the rest.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { replication } from '@enjambre/proto';
import { MemorySwarmStore } from '../store/memory';
import { Tombstones, applyIncoming } from './merge';
import { invalidPeer, recordsOfChange, storeChangesOf } from './records';

const origins = { self: randomBytes(16), storeOrigin: 'local' };
const NOW = 1_800_000_000_000;

const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const num = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(-1),
);
const peer = fc.record({
  infoHash: bytes,
  peerId: bytes,
  ip: bytes,
  port: num,
  left: num,
  uploaded: num,
  downloaded: num,
  updatedAtMs: num,
  origin: bytes,
  removed: fc.boolean(),
});
const torrent = fc.record({
  infoHash: bytes,
  name: fc.string({ maxLength: 2000 }),
  totalSize: num,
  fileCount: num,
  publishedAtMs: num,
  updatedAtMs: num,
  origin: bytes,
  owner: fc.constantFrom('', 'ip:7f000001', 'key:00ff', 'bad owner'),
  withdrawn: fc.boolean(),
  signedAtMs: num,
  seededAtMs: num,
});
const completed = fc.record({ infoHash: bytes, origin: bytes, count: num, updatedAtMs: num });

it('applies only well-formed records and never throws', () => {
  fc.assert(
    fc.property(
      fc.array(peer, { maxLength: 20 }),
      fc.array(torrent, { maxLength: 5 }),
      fc.array(completed, { maxLength: 5 }),
      (peers, torrents, comps) => {
        const store = new MemorySwarmStore({ now: () => NOW });
        const batch = { peers, torrents, completed: comps, fullState: false };
        const { changes, invalid } = storeChangesOf(batch, origins, NOW);
        expect(changes.length + invalid).toBe(peers.length + torrents.length + comps.length);
        applyIncoming(store, new Tombstones(60_000, 100), changes);
        const valid = peers.filter((p) => invalidPeer(p, NOW) === null && !p.removed);
        expect(store.stats().seeders + store.stats().leechers).toBeLessThanOrEqual(valid.length);
      },
    ),
  );
});

it('decodes garbage payloads to an error, never a crash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
      try {
        const b = replication.ChangeBatch.decode(garbage);
        storeChangesOf(b, origins, NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }),
  );
});

it('does not send expiries (every replica expires on the replicated lastSeen)', () => {
  const change = {
    kind: 'removed' as const,
    infoHash: Buffer.alloc(20),
    ip: Buffer.alloc(4),
    port: 1,
    peerId: Buffer.alloc(20),
    at: NOW,
  };
  expect(recordsOfChange({ ...change, reason: 'expired' }, origins, NOW)).toBeNull();
  expect(recordsOfChange({ ...change, reason: 'stopped' }, origins, NOW)!.peers[0].removed).toBe(
    true,
  );
});
