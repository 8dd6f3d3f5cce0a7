import { CidrSet } from './cidr';
import { ipToBytes } from './ip';

const ip = (s: string): Buffer => ipToBytes(s) as Buffer;

describe('CidrSet', () => {
  it('matches addresses in its ranges, by family', () => {
    const set = CidrSet.parse('10.0.0.0/8, 192.0.2.7,fd00::/8, 172.16.0.0/12');
    for (const yes of ['10.1.2.3', '192.0.2.7', 'fd12::1', '::ffff:10.9.9.9', '172.31.255.1'])
      expect(set.has(ip(yes))).toBe(true);
    for (const no of ['11.0.0.1', '192.0.2.8', 'fe80::1', '::ffff:11.0.0.1', '172.32.0.1'])
      expect(set.has(ip(no))).toBe(false);
    expect(set.has(null)).toBe(false);
    expect(CidrSet.parse('').has(ip('127.0.0.1'))).toBe(false);
    expect(CidrSet.parse('0.0.0.0/0').has(ip('203.0.113.1'))).toBe(true);
    expect(CidrSet.parse('0.0.0.0/0').has(ip('::1'))).toBe(false);
  });

  it('refuses what is not a range', () => {
    for (const bad of ['10.0.0.0/33', 'nope', '10.0.0.0/', '::/129', '1.2.3.4/x'])
      expect(() => CidrSet.parse(bad)).toThrow(RangeError);
  });

  it('takes the rightmost X-Forwarded-For entry that is not a trusted proxy', () => {
    const set = CidrSet.parse('10.0.0.0/8');
    const text = (v: string): string | null => {
      const b = set.clientFromForwardedFor(v);
      return b === null ? null : b.join('.');
    };
    expect(text('203.0.113.9')).toBe('203.0.113.9');
    // The client wrote the first entry itself: it is not believed.
    expect(text('1.1.1.1, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
    expect(text('10.0.0.5, 10.0.0.2')).toBe('10.0.0.5');
    expect(text('198.51.100.7:4711')).toBe('198.51.100.7');
    expect(text('garbage, 10.0.0.2')).toBeNull();
    expect(text('')).toBeNull();
    expect(set.clientFromForwardedFor('[2001:db8::1]:80')?.length).toBe(16);
  });
});
