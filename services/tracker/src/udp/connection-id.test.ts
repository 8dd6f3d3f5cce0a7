import { createHmac } from 'node:crypto';
import { ConnectionIds } from './connection-id';

describe('ConnectionIds', () => {
  const ip = Buffer.from([127, 0, 0, 1]);
  let clock = 1_000_000_000;
  const now = (): number => clock;

  it('is HMAC-SHA256 of ip, port and window, truncated to 8 bytes', () => {
    const secret = Buffer.alloc(32, 7);
    const ids = new ConnectionIds({ secret, now, windowMs: 60_000 });
    const msg = Buffer.alloc(22);
    ip.copy(msg);
    msg.writeUInt16BE(6881, 16);
    msg.writeUInt32BE(Math.floor(clock / 60_000), 18);
    const expected = createHmac('sha256', secret).update(msg).digest().subarray(0, 8);
    expect(ids.issue(ip, 6881)).toEqual(expected);
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

  it('differs between trackers with different secrets', () => {
    const a = new ConnectionIds({ now });
    const b = new ConnectionIds({ now });
    expect(b.verify(a.issue(ip, 1), ip, 1)).toBe(false);
  });
});
