import fc from 'fast-check';
import { parseRequestHead } from './request-head';

describe('parseRequestHead', () => {
  it('reads the request line and the headers that matter', () => {
    expect(
      parseRequestHead(
        'GET /announce?x=1 HTTP/1.1\r\nHost: a\r\nCONNECTION: Close\r\nX-Forwarded-For: 1.2.3.4',
        true,
      ),
    ).toEqual({
      method: 'GET',
      target: '/announce?x=1',
      keepAlive: false,
      forwardedFor: '1.2.3.4',
      hasBody: false,
    });
    expect(parseRequestHead('GET / HTTP/1.0\r\nConnection: keep-alive', false)).toMatchObject({
      keepAlive: true,
    });
    expect(parseRequestHead('GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4', false)).toMatchObject({
      forwardedFor: null,
    });
    expect(parseRequestHead('GET / HTTP/1.1\r\nContent-Length: 3', false)).toMatchObject({
      hasBody: true,
    });
  });

  it('refuses malformed heads with a status', () => {
    expect(parseRequestHead('GET /', false)).toMatchObject({ status: 400 });
    expect(parseRequestHead('GET / HTTP/2.0', false)).toMatchObject({ status: 505 });
    expect(parseRequestHead('GET / HTTP/1.1\r\n: empty name', false)).toMatchObject({
      status: 400,
    });
    expect(parseRequestHead('GET / HTTP/1.1\r\nno colon', false)).toMatchObject({ status: 400 });
  });

  it('never throws, whatever the bytes', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 300 }),
      fc
        .array(
          fc.constantFrom('GET', ' ', '/a', 'HTTP/1.1', '\r\n', ':', 'Connection', 'close', 'x'),
          {
            maxLength: 40,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, fc.boolean(), (head, xff) => {
        const r = parseRequestHead(head, xff);
        if ('status' in r) expect([400, 505]).toContain(r.status);
        else expect(typeof r.target).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
