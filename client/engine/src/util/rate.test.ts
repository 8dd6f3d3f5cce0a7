import { RateMeter } from './rate';

describe('RateMeter', () => {
  const start = 1_700_000_000_000;

  it('measures a steady flow', () => {
    const m = new RateMeter();
    let t = start;
    for (let i = 0; i < 100; i++, t += 100) m.add(100_000, t); // 1 MB/s for 10 s
    expect(m.rate(t)).toBeGreaterThan(800_000);
    expect(m.rate(t)).toBeLessThan(1_200_000);
    expect(m.total).toBe(10_000_000);
  });

  it('decays to 0 once no bytes flow', () => {
    const m = new RateMeter();
    let t = start;
    for (let i = 0; i < 50; i++, t += 100) m.add(65_536, t);
    const rates: number[] = [];
    for (let s = 1; s <= 12; s++) rates.push(m.rate(t + s * 1000));
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThanOrEqual(rates[i - 1]);
    expect(rates[rates.length - 1]).toBe(0);
  });
});
