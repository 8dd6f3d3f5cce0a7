import { globalOnlyLookup, isLocalAddress, isLoopbackHost, LocalRedirectError } from './ssrf';
import { usableWebSeeds } from './urls';

test('local addresses: loopback, private, link-local, CGNAT, unique-local, mapped IPv4', () => {
  for (const ip of [
    '127.0.0.1',
    '127.9.9.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])
    expect([ip, isLocalAddress(ip)]).toEqual([ip, true]);
  for (const ip of [
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2001:db8::1',
    '::ffff:8.8.8.8',
    'example.com',
  ])
    expect([ip, isLocalAddress(ip)]).toEqual([ip, false]);
});

test('loopback hosts as URLs name them', () => {
  for (const h of ['localhost', 'LOCALHOST', 'a.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
    expect([h, isLoopbackHost(h)]).toEqual([h, true]);
  for (const h of ['example.com', '10.0.0.1', '[2001:db8::1]', 'localhost.example.com'])
    expect([h, isLoopbackHost(h)]).toEqual([h, false]);
});

test('a web seed on a loopback host with a query string is not used (libtorrent rule)', () => {
  expect(
    usableWebSeeds([
      'http://127.0.0.1:8080/api/v2/torrents/delete?hashes=all',
      'http://localhost/x?y=1',
      'http://[::1]/x?y',
      'http://127.0.0.1:8080/files/',
      'http://example.com/x?token=1',
    ]),
  ).toEqual(['http://127.0.0.1:8080/files/', 'http://example.com/x?token=1']);
});

test('after a redirect from the Internet, a name resolving locally is refused before connecting', async () => {
  const lookup = (all: boolean) =>
    new Promise<unknown>((resolve) =>
      (
        globalOnlyLookup as unknown as (
          h: string,
          o: object,
          cb: (e: Error | null, a: unknown) => void,
        ) => void
      )('localhost', { all }, (err, address) => resolve(err ?? address)),
    );
  expect(await lookup(false)).toBeInstanceOf(LocalRedirectError);
  expect(await lookup(true)).toBeInstanceOf(LocalRedirectError);
});
