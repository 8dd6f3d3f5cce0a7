import fc from 'fast-check';
import { bytesToIp, grpcPeerIp, ipToBytes } from './ip';

describe('ip', () => {
  it('parses IPv4, IPv6 and IPv4-mapped addresses', () => {
    expect(ipToBytes('127.0.0.1')).toEqual(Buffer.from([127, 0, 0, 1]));
    expect(ipToBytes('::ffff:10.1.2.3')).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(ipToBytes('::1')?.toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipToBytes('2001:db8::1:0:0:1')?.toString('hex')).toBe(
      '20010db8000000000001000000000001',
    );
    for (const bad of ['', 'localhost', '1.2.3', '256.1.1.1', '1::2::3', 'fe80::1%eth0', ':::'])
      expect(ipToBytes(bad)).toBeNull();
  });

  it('round-trips any address through text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
        const b = Buffer.from(raw);
        const mapped = b.subarray(0, 12).equals(Buffer.from('00000000000000000000ffff', 'hex'));
        expect(ipToBytes(bytesToIp(b))).toEqual(mapped ? b.subarray(12) : b);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (raw) => {
        expect(ipToBytes(bytesToIp(Buffer.from(raw)))).toEqual(Buffer.from(raw));
      }),
    );
  });

  it('reads gRPC peer strings', () => {
    expect(grpcPeerIp('127.0.0.1:5000')).toEqual(Buffer.from([127, 0, 0, 1]));
    expect(grpcPeerIp('ipv4:127.0.0.1:5000')).toEqual(Buffer.from([127, 0, 0, 1]));
    expect(grpcPeerIp('[::1]:5000')?.length).toBe(16);
    expect(grpcPeerIp('unix:/tmp/sock')).toBeNull();
  });

  it("reads grpc-js's server-side peer of an IPv6 client (address:port, no brackets)", () => {
    expect(grpcPeerIp('::1:5000')).toEqual(ipToBytes('::1'));
    expect(grpcPeerIp('2001:db8::7:443')).toEqual(ipToBytes('2001:db8::7'));
    expect(grpcPeerIp('::ffff:192.0.2.1:6881')).toEqual(Buffer.from([192, 0, 2, 1]));
  });
});
