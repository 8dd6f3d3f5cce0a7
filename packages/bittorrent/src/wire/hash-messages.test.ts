import fc from 'fast-check';
import { WireError } from '../errors';
import {
  HashRequest,
  WireDecoder,
  WireEvent,
  decodeWireStream,
  encodeHandshake,
  encodeHashReject,
  encodeHashRequest,
  encodeHashes,
  encodeMessage,
  parseHandshake,
  MessageCollector,
} from './index';

const hs = encodeHandshake({
  infoHash: Buffer.alloc(20, 1),
  peerId: Buffer.alloc(20, 2),
  fast: true,
  extended: true,
});

const arbRequest: fc.Arbitrary<HashRequest> = fc.record({
  root: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
  baseLayer: fc.nat(40),
  index: fc.nat(),
  length: fc.nat(8192),
  proofLayers: fc.nat(40),
});

test('the v2 bit of the handshake (reserved[7] & 0x10)', () => {
  const v2 = encodeHandshake({ infoHash: Buffer.alloc(20), peerId: Buffer.alloc(20), v2: true });
  expect(v2[27]).toBe(0x10);
  expect(parseHandshake(v2).v2).toBe(true);
  expect(parseHandshake(hs).v2).toBe(false);
});

test('hash request, hashes and hash reject round-trip, split anywhere', () => {
  fc.assert(
    fc.property(
      arbRequest,
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (r, hashes, cuts) => {
        const hs32 = hashes.map((h) => Buffer.from(h));
        const stream = Buffer.concat([
          hs,
          encodeHashRequest(r),
          encodeHashes(r, hs32),
          encodeHashReject(r),
        ]);
        const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) chunks.push(stream.subarray(prev, (prev = p)));
        const events = decodeWireStream(chunks).slice(1);
        expect(events).toEqual([
          { type: 'hash-request', ...r },
          { type: 'hashes', ...r, hashes: hs32 },
          { type: 'hash-reject', ...r },
        ]);
        for (const e of events) expect(encodeMessage(e as never)).toBeInstanceOf(Buffer);
      },
    ),
    { numRuns: 200 },
  );
});

test('hash messages of the wrong length are protocol errors', () => {
  const r = { root: Buffer.alloc(32), baseLayer: 0, index: 0, length: 2, proofLayers: 0 };
  const msg = (id: number, payload: Buffer) => {
    const b = Buffer.alloc(5 + payload.length);
    b.writeUInt32BE(1 + payload.length, 0);
    b[4] = id;
    payload.copy(b, 5);
    return b;
  };
  const req = encodeHashRequest(r).subarray(5);
  for (const bad of [
    msg(21, req.subarray(0, 47)),
    msg(23, Buffer.concat([req, Buffer.alloc(1)])),
    msg(22, Buffer.concat([req, Buffer.alloc(31)])),
    msg(22, req.subarray(0, 40)),
  ]) {
    expect(() => decodeWireStream([hs, bad])).toThrow(WireError);
  }
  expect(() => encodeHashRequest({ ...r, root: Buffer.alloc(31) })).toThrow(WireError);
  expect(() => encodeHashRequest({ ...r, index: -1 })).toThrow(WireError);
});

test('a handler without onHashMessage gets them as unknown messages', () => {
  const events: Array<[number, number]> = [];
  const collector = new MessageCollector();
  const handler = Object.assign(Object.create(MessageCollector.prototype) as MessageCollector, {
    onHashMessage: undefined,
    onUnknown: (id: number, p: Buffer) => events.push([id, p.length]),
    events: [] as WireEvent[],
  });
  void collector;
  const d = new WireDecoder(handler);
  d.push(hs);
  d.push(
    encodeHashRequest({
      root: Buffer.alloc(32),
      baseLayer: 0,
      index: 0,
      length: 2,
      proofLayers: 0,
    }),
  );
  expect(events).toEqual([[21, 48]]);
});

test('fuzz: random payloads under ids 21-23 decode or fail with a WireError', () => {
  fc.assert(
    fc.property(fc.constantFrom(21, 22, 23), fc.uint8Array({ maxLength: 200 }), (id, payload) => {
      const b = Buffer.alloc(5 + payload.length);
      b.writeUInt32BE(1 + payload.length, 0);
      b[4] = id;
      b.set(payload, 5);
      try {
        decodeWireStream([hs, b]);
      } catch (e) {
        expect(e).toBeInstanceOf(WireError);
      }
    }),
    { numRuns: 1000 },
  );
});
