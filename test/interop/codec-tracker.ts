/**
 * A minimal HTTP + UDP tracker made of nothing but the bittorrent package's codecs, for tests
 * where real clients announce to it: it records every parsed request and any parse error, answers
 * announces with one fixed peer and scrapes with fixed counts. Binds 127.0.0.1, ports from the OS.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import {
  HttpAnnounceRequest,
  HttpScrapeRequest,
  UdpAnnounceRequest,
  UdpScrapeRequest,
  decodeUdpRequest,
  encodeCompactPeers,
  encodeHttpAnnounceResponse,
  encodeHttpFailure,
  encodeHttpScrapeResponse,
  encodeUdpAnnounceResponse,
  encodeUdpConnectResponse,
  encodeUdpErrorResponse,
  encodeUdpScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  udpTransactionId,
} from '@enjambre/bittorrent';

export interface CodecTracker {
  httpUrl: string;
  udpUrl: string;
  httpAnnounces: HttpAnnounceRequest[];
  httpScrapes: HttpScrapeRequest[];
  udpAnnounces: UdpAnnounceRequest[];
  udpScrapes: UdpScrapeRequest[];
  /** Requests our parsers refused (a real client's request should never land here). */
  errors: string[];
  close(): Promise<void>;
}

const COUNTS = { complete: 7, downloaded: 11, incomplete: 3 };

export async function startCodecTracker(): Promise<CodecTracker> {
  const t = {
    httpAnnounces: [] as HttpAnnounceRequest[],
    httpScrapes: [] as HttpScrapeRequest[],
    udpAnnounces: [] as UdpAnnounceRequest[],
    udpScrapes: [] as UdpScrapeRequest[],
    errors: [] as string[],
  };
  const peers = encodeCompactPeers([{ ip: '127.0.0.1', port: 9 }], 4);
  const connectionId = randomBytes(8);

  const http = createServer((req, res) => {
    const url = req.url ?? '';
    let body: Buffer;
    try {
      if (url.startsWith('/announce')) {
        t.httpAnnounces.push(parseAnnounceQuery(url));
        body = encodeHttpAnnounceResponse({
          interval: 1800,
          minInterval: 60,
          complete: COUNTS.complete,
          incomplete: COUNTS.incomplete,
          peers,
        });
      } else if (url.startsWith('/scrape')) {
        const s = parseScrapeQuery(url);
        t.httpScrapes.push(s);
        body = encodeHttpScrapeResponse({
          files: s.infoHashes.map((infoHash) => ({ infoHash, ...COUNTS })),
        });
      } else {
        body = encodeHttpFailure('unknown path');
      }
    } catch (e) {
      t.errors.push(`${url}: ${String(e)}`);
      body = encodeHttpFailure(String(e));
    }
    res.end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));

  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    let answer: Buffer;
    try {
      const r = decodeUdpRequest(msg);
      if (r.action === 'connect') {
        answer = encodeUdpConnectResponse(r.transactionId, connectionId);
      } else if (!r.connectionId.equals(connectionId)) {
        answer = encodeUdpErrorResponse(r.transactionId, 'bad connection id');
      } else if (r.action === 'announce') {
        t.udpAnnounces.push(r);
        answer = encodeUdpAnnounceResponse({
          transactionId: r.transactionId,
          interval: 1800,
          leechers: COUNTS.incomplete,
          seeders: COUNTS.complete,
          peers,
          family: 4,
        });
      } else {
        t.udpScrapes.push(r);
        answer = encodeUdpScrapeResponse(
          r.transactionId,
          r.infoHashes.map(() => COUNTS),
        );
      }
    } catch (e) {
      t.errors.push(`udp ${msg.toString('hex')}: ${String(e)}`);
      answer = encodeUdpErrorResponse(Math.max(0, udpTransactionId(msg)), String(e));
    }
    udp.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));

  return {
    ...t,
    httpUrl: `http://127.0.0.1:${(http.address() as { port: number }).port}/announce`,
    udpUrl: `udp://127.0.0.1:${udp.address().port}/announce`,
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await new Promise<void>((r) => udp.close(r));
    },
  };
}

/** Polls `done` every 100 ms until it holds or `ms` pass. */
export async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
