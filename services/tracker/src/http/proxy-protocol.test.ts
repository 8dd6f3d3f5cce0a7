import fc from 'fast-check';
import { parseProxyHeader } from './proxy-protocol';

const V2 = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(command: number, family: number, addresses: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = family;
  head.writeUInt16BE(addresses.length, 2);
  return Buffer.concat([V2, head, addresses]);
}

describe('parseProxyHeader', () => {
  it('reads v1 lines', () => {
    const line = Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.1 4711 6969\r\nGET /');
    const r = parseProxyHeader(line);
    expect(r).toEqual({ kind: 'ok', length: 44, ip: Buffer.from([198, 51, 100, 7]) });
    const six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 2\r\n'));
    expect(six.kind === 'ok' && six.ip?.length).toBe(16);
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({
      kind: 'ok',
      length: 15,
      ip: null,
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4')).kind).toBe('incomplete');
    expect(parseProxyHeader(Buffer.from('PRO')).kind).toBe('incomplete');
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n')).kind).toBe('bad');
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 x y 1 2\r\n')).kind).toBe('bad');
    expect(parseProxyHeader(Buffer.from('PROXY ' + 'A'.repeat(200))).kind).toBe('bad');
    expect(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).kind).toBe('none');
  });

  it('reads v2 headers', () => {
    const four = Buffer.from([203, 0, 113, 5, 10, 0, 0, 1, 0x12, 0x34, 0x1a, 0xe1]);
    expect(parseProxyHeader(v2(1, 0x11, four))).toEqual({
      kind: 'ok',
      length: 28,
      ip: Buffer.from([203, 0, 113, 5]),
    });
    const six = Buffer.alloc(36);
    six[0] = 0x20;
    six[1] = 0x01;
    six[15] = 9;
    const r = parseProxyHeader(v2(1, 0x21, six));
    expect(r.kind === 'ok' && r.ip?.toString('hex')).toBe('20010000000000000000000000000009');
    expect(parseProxyHeader(v2(0, 0, Buffer.alloc(0)))).toEqual({
      kind: 'ok',
      length: 16,
      ip: null,
    });
    expect(parseProxyHeader(v2(1, 0x11, four).subarray(0, 20)).kind).toBe('incomplete');
    expect(parseProxyHeader(v2(1, 0x11, Buffer.alloc(3))).kind).toBe('bad');
    expect(parseProxyHeader(v2(5, 0x11, four)).kind).toBe('bad');
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, sig) => {
        const buf = sig ? Buffer.concat([V2, Buffer.from(bytes)]) : Buffer.from(bytes);
        parseProxyHeader(buf);
      }),
    );
  });
});
