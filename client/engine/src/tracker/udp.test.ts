import dgram from 'node:dgram';
import {
  decodeUdpRequest,
  encodeCompactPeers,
  encodeUdpAnnounceResponse,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
} from '@enjambre/bittorrent';
import { UdpTrackerClient } from './udp';
import type { AnnounceRequest } from './client';

/** A BEP 15 tracker on 127.0.0.1 with scripted misbehaviour. */
async function fakeTracker(script: { dropFirst?: number; error?: string }) {
  const sock = dgram.createSocket('udp4');
  const seen = { connects: 0, announces: 0, dropped: 0 };
  sock.on('message', (msg, rinfo) => {
    if ((script.dropFirst ?? 0) > seen.dropped) {
      seen.dropped++;
      return; // lost packet: the client must retransmit
    }
    const req = decodeUdpRequest(msg);
    let out: Buffer;
    if (req.action === 'connect') {
      seen.connects++;
      out = encodeUdpConnectResponse(req.transactionId, Buffer.alloc(8, 7));
    } else if (req.action === 'announce') {
      seen.announces++;
      out = script.error
        ? encodeUdpErrorResponse(req.transactionId, script.error)
        : encodeUdpAnnounceResponse({
            transactionId: req.transactionId,
            interval: 900,
            leechers: 3,
            seeders: 2,
            peers: encodeCompactPeers([{ ip: '10.1.2.3', port: 6881 }], 4),
            family: 4,
          });
    } else return;
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {
    url: `udp://127.0.0.1:${sock.address().port}/announce`,
    seen,
    close: () => sock.close(),
  };
}

const req: AnnounceRequest = {
  infoHash: Buffer.alloc(20, 1),
  peerId: Buffer.alloc(20, 2),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  event: 'started',
  numwant: 50,
  key: 1234,
};

test('UDP announce: retransmits lost packets (bounded backoff) and caches the connection id', async () => {
  const t = await fakeTracker({ dropFirst: 2 });
  const c = new UdpTrackerClient(t.url, { baseTimeoutMs: 100, maxRetries: 3 });
  try {
    const res = await c.announce(req, new AbortController().signal);
    expect(res).toEqual({
      interval: 900,
      seeders: 2,
      leechers: 3,
      peers: [{ host: '10.1.2.3', port: 6881 }],
    });
    await c.announce({ ...req, event: 'none' }, new AbortController().signal);
    expect(t.seen.connects).toBe(1); // the connection id is reused within a minute
    expect(t.seen.announces).toBe(2);
  } finally {
    c.close();
    t.close();
  }
});

test('UDP announce: an error answer and a silent tracker both fail with a message', async () => {
  const t = await fakeTracker({ error: 'torrent not registered' });
  const c = new UdpTrackerClient(t.url, { baseTimeoutMs: 50, maxRetries: 1 });
  await expect(c.announce(req, new AbortController().signal)).rejects.toThrow(/not registered/);
  c.close();
  t.close();
  const silent = await fakeTracker({ dropFirst: 1000 });
  const c2 = new UdpTrackerClient(silent.url, { baseTimeoutMs: 50, maxRetries: 2 });
  await expect(c2.announce(req, new AbortController().signal)).rejects.toThrow(/no answer/);
  expect(silent.seen.dropped).toBe(3); // first try + two retransmissions
  c2.close();
  silent.close();
});
