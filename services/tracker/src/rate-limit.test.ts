import { RateLimiter } from './rate-limit';

const v4 = (n: number): Buffer => Buffer.from([10, (n >> 16) & 255, (n >> 8) & 255, n & 255]);

describe('RateLimiter', () => {
  it('allows a burst, then the rate', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ rate: 2, burst: 5 }, { now: () => now });
    const ip = v4(1);
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (limiter.take(ip)) allowed++;
    expect(allowed).toBe(5);
    now += 1000;
    expect(limiter.take(ip)).toBe(true);
    expect(limiter.take(ip)).toBe(true);
    expect(limiter.take(ip)).toBe(false);
    // Another address has its own bucket.
    expect(limiter.take(v4(2))).toBe(true);
  });

  it('keys IPv6 clients by their /64', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1 }, { now: () => 0 });
    const a = Buffer.from('20010db8000000010000000000000001', 'hex');
    const b = Buffer.from('20010db80000000100000000deadbeef', 'hex');
    const c = Buffer.from('20010db8000000020000000000000001', 'hex');
    expect(limiter.take(a)).toBe(true);
    expect(limiter.take(b)).toBe(false);
    expect(limiter.take(c)).toBe(true);
  });

  it('stays bounded under many addresses and never refuses a newcomer', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1 }, { slots: 64, now: () => 0 });
    for (let n = 0; n < 10_000; n++) expect(limiter.take(v4(n))).toBe(true);
  });

  it('is off with rate 0', () => {
    const limiter = new RateLimiter({ rate: 0, burst: 1 });
    for (let i = 0; i < 100; i++) expect(limiter.take(v4(1))).toBe(true);
    expect(limiter.enabled).toBe(false);
  });
});
