import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { ConnectionIds } from './connection-id';

describe('ConnectionIds', () => {
  const ip = Buffer.from([127, 0, 0, 1]);
  let clock = 1_000_000_000;
  const now = (): number => clock;

  it('is HMAC-SHA256 of ip, port and window, truncated to 8 bytes', () => {
    const secret = Buffer.alloc(32, 7);
    const ids = new ConnectionIds({ secret, now, windowMs: 60_000 });
    const msg = Buffer.alloc(23);
    ip.copy(msg);
    msg.writeUInt16BE(6881, 16);
    msg.writeUInt32BE(Math.floor(clock / 60_000), 18);
    msg[22] = 4;
    const expected = createHmac('sha256', secret).update(msg).digest().subarray(0, 8);
    expect(ids.issue(ip, 6881)).toEqual(expected);
  });

  it('matches node:crypto HMAC for any secret, address, port and time', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ minLength: 60, maxLength: 200, size: 'max' }),
        ),
        fc.constantFrom(4, 16),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 2 ** 44 }),
        (secret, ipLength, ipBytes, port, time) => {
          const ip = Buffer.from(ipBytes.subarray(0, ipLength));
          const ids = new ConnectionIds({
            secret: Buffer.from(secret),
            now: () => time,
            windowMs: 60_000,
          });
          const msg = Buffer.alloc(23);
          ip.copy(msg);
          msg.writeUInt16BE(port, 16);
          msg.writeUInt32BE(Math.floor(time / 60_000) >>> 0, 18);
          msg[22] = ipLength;
          const expected = createHmac('sha256', Buffer.from(secret))
            .update(msg)
            .digest()
            .subarray(0, 8);
          expect(ids.issue(ip, port)).toEqual(expected);
        },
      ),
    );
  });

  it('accepts an id for one to two windows, only from the address it was issued to', () => {
    const ids = new ConnectionIds({ now, windowMs: 60_000 });
    const id = ids.issue(ip, 6881);
    expect(ids.verify(id, ip, 6881)).toBe(true);
    expect(ids.verify(id, Buffer.from([127, 0, 0, 2]), 6881)).toBe(false);
    expect(ids.verify(id, ip, 6882)).toBe(false);
    clock += 60_000;
    expect(ids.verify(id, ip, 6881)).toBe(true);
    clock += 60_000;
    expect(ids.verify(id, ip, 6881)).toBe(false);
    expect(ids.verify(Buffer.alloc(8), ip, 6881)).toBe(false);
    expect(ids.verify(Buffer.alloc(3), ip, 6881)).toBe(false);
  });

  it('binds the address family: an IPv4 id is no good from the zero-padded IPv6 address', () => {
    const ids = new ConnectionIds({ now });
    const id = ids.issue(ip, 6881);
    const padded = Buffer.alloc(16);
    ip.copy(padded); // 7f00:1::
    expect(ids.verify(id, padded, 6881)).toBe(false);
    expect(ids.verify(ids.issue(padded, 6881), ip, 6881)).toBe(false);
  });

  it('differs between trackers with different secrets', () => {
    const a = new ConnectionIds({ now });
    const b = new ConnectionIds({ now });
    expect(b.verify(a.issue(ip, 1), ip, 1)).toBe(false);
  });
});
