import fc from 'fast-check';
import { BatchWriter, FrameReader, forEachAnswer, forEachRequest, frame } from './batch';

describe('UDP worker batches', () => {
  it('round-trip requests through frames cut at any points', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ip: fc.uint8Array({ minLength: 4, maxLength: 4 }),
            port: fc.integer({ min: 0, max: 65535 }),
            packet: fc.uint8Array({ minLength: 0, maxLength: 200 }),
          }),
          { maxLength: 20 },
        ),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 10 }),
        (requests, cuts) => {
          const writer = new BatchWriter(16);
          for (const r of requests)
            writer.addRequest(Buffer.from(r.ip), r.port, Buffer.from(r.packet));
          const bytes = Buffer.concat([frame(writer), frame(writer)]);
          const got: Array<{ ip: number[]; port: number; packet: number[] }> = [];
          const reader = new FrameReader((f) =>
            forEachRequest(f, (ip, port, packet) =>
              got.push({ ip: [...ip], port, packet: [...packet] }),
            ),
          );
          let at = 0;
          for (const c of cuts) {
            reader.push(bytes.subarray(at, Math.min(bytes.length, at + c)));
            at = Math.min(bytes.length, at + c);
          }
          reader.push(bytes.subarray(at));
          const want = requests.map((r) => ({
            ip: [...r.ip],
            port: r.port,
            packet: [...r.packet],
          }));
          expect(got).toEqual([...want, ...want]);
        },
      ),
    );
  });

  it('walks answers, an empty record meaning no answer', () => {
    const seen: Array<string | null> = [];
    forEachAnswer(Buffer.from([0, 2, 0x61, 0x62, 0, 0, 0, 1, 0x63]), (i, p) =>
      seen.push(p === null ? null : `${i}:${p.toString()}`),
    );
    expect(seen).toEqual(['0:ab', null, '2:c']);
  });

  it('refuses corrupt batches and oversized frames', () => {
    expect(() => forEachRequest(Buffer.from([5, 1, 2, 3]), () => undefined)).toThrow(/corrupt/);
    const reader = new FrameReader(() => undefined);
    expect(() => reader.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/too large/);
  });
});
