// Tracker scrapes (HTTP, BEP 48; UDP, BEP 15) so tests can see what a tracker knows about a swarm
// without relying on any client or on enjambre's own codecs.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { waitFor } from './util';

export interface ScrapeCounts {
  /** Seeders. */
  complete: number;
  /** Leechers. */
  incomplete: number;
  downloaded: number;
}

type Bencoded = number | Buffer | Bencoded[] | { [key: string]: Bencoded };

/** Decodes trusted-enough bencode (a tracker's answer); throws on anything malformed. */
export function bdecode(data: Buffer): Bencoded {
  let at = 0;
  const value = (): Bencoded => {
    const c = data[at];
    if (c === 0x69) {
      const end = data.indexOf(0x65, at);
      if (end < 0) throw new Error('bdecode: unterminated integer');
      const n = Number(data.subarray(at + 1, end).toString('latin1'));
      at = end + 1;
      return n;
    }
    if (c === 0x6c) {
      at++;
      const list: Bencoded[] = [];
      while (data[at] !== 0x65) {
        if (at >= data.length) throw new Error('bdecode: unterminated list');
        list.push(value());
      }
      at++;
      return list;
    }
    if (c === 0x64) {
      at++;
      const dict: { [key: string]: Bencoded } = {};
      while (data[at] !== 0x65) {
        if (at >= data.length) throw new Error('bdecode: unterminated dictionary');
        const key = value();
        if (!Buffer.isBuffer(key)) throw new Error('bdecode: dictionary key is not a string');
        dict[key.toString('latin1')] = value();
      }
      at++;
      return dict;
    }
    if (c !== undefined && c >= 0x30 && c <= 0x39) {
      const colon = data.indexOf(0x3a, at);
      const length = Number(data.subarray(at, colon).toString('latin1'));
      if (colon < 0 || colon + 1 + length > data.length) throw new Error('bdecode: bad string');
      const s = data.subarray(colon + 1, colon + 1 + length);
      at = colon + 1 + length;
      return s;
    }
    throw new Error(`bdecode: unexpected byte at ${at}`);
  };
  const result = value();
  if (at !== data.length) throw new Error('bdecode: trailing data');
  return result;
}

/** Percent-encodes every byte (what info_hash and peer_id need in a tracker URL). */
export function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += '%' + b.toString(16).padStart(2, '0');
  return out;
}

/** HTTP scrape of one torrent; `announceUrl` ends in /announce (the scrape URL is derived). */
export async function httpScrape(announceUrl: string, infoHashHex: string): Promise<ScrapeCounts> {
  const scrapeUrl = announceUrl.replace(/\/announce(\?|$)/, '/scrape$1');
  if (scrapeUrl === announceUrl)
    throw new Error(`httpScrape: ${announceUrl} has no /announce to derive a scrape URL from`);
  const infoHash = Buffer.from(infoHashHex, 'hex');
  const separator = scrapeUrl.includes('?') ? '&' : '?';
  const response = await fetch(`${scrapeUrl}${separator}info_hash=${percentEncode(infoHash)}`);
  const body = bdecode(Buffer.from(await response.arrayBuffer()));
  if (typeof body !== 'object' || Buffer.isBuffer(body) || Array.isArray(body)) {
    throw new Error('httpScrape: answer is not a dictionary');
  }
  if (body['failure reason']) throw new Error(`httpScrape: ${String(body['failure reason'])}`);
  const files = body.files as { [key: string]: { [key: string]: number } } | undefined;
  const entry = files?.[infoHash.toString('latin1')];
  if (!entry) return { complete: 0, incomplete: 0, downloaded: 0 };
  return {
    complete: entry.complete ?? 0,
    incomplete: entry.incomplete ?? 0,
    downloaded: entry.downloaded ?? 0,
  };
}

/** UDP scrape (BEP 15: connect, then scrape) of one torrent at `udp://host:port[/...]`. */
export async function udpScrape(
  url: string,
  infoHashHex: string,
  timeoutMs = 5000,
): Promise<ScrapeCounts> {
  const { hostname, port } = new URL(url);
  const socket = dgram.createSocket('udp4');
  const request = (packet: Buffer, action: number, transactionId: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`udpScrape: no answer from ${url}`)),
        timeoutMs,
      );
      const onMessage = (message: Buffer) => {
        if (message.length < 8 || !message.subarray(4, 8).equals(transactionId)) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        const got = message.readUInt32BE(0);
        if (got === 3) reject(new Error(`udpScrape: ${message.subarray(8).toString('utf8')}`));
        else if (got !== action) reject(new Error(`udpScrape: action ${got}, expected ${action}`));
        else resolve(message);
      };
      socket.on('message', onMessage);
      socket.send(packet, Number(port), hostname);
    });
  try {
    const connectTx = randomBytes(4);
    const connect = Buffer.alloc(16);
    connect.writeBigUInt64BE(0x41727101980n, 0);
    connect.writeUInt32BE(0, 8);
    connectTx.copy(connect, 12);
    const connected = await request(connect, 0, connectTx);
    const scrapeTx = randomBytes(4);
    const scrape = Buffer.concat([
      connected.subarray(8, 16),
      Buffer.from([0, 0, 0, 2]),
      scrapeTx,
      Buffer.from(infoHashHex, 'hex'),
    ]);
    const answer = await request(scrape, 2, scrapeTx);
    if (answer.length < 20) throw new Error('udpScrape: short answer');
    return {
      complete: answer.readUInt32BE(8),
      downloaded: answer.readUInt32BE(12),
      incomplete: answer.readUInt32BE(16),
    };
  } finally {
    socket.close();
  }
}

/** Scrape over whichever protocol the announce URL names. */
export function scrape(announceUrl: string, infoHashHex: string): Promise<ScrapeCounts> {
  return announceUrl.startsWith('udp:')
    ? udpScrape(announceUrl, infoHashHex)
    : httpScrape(announceUrl, infoHashHex);
}

/** Waits until the tracker counts at least `seeders` seeders (and `leechers` leechers). */
export async function waitForSwarm(
  announceUrl: string,
  infoHashHex: string,
  want: { seeders?: number; leechers?: number },
  timeoutMs = 60_000,
): Promise<ScrapeCounts> {
  return waitFor(
    async () => {
      const counts = await scrape(announceUrl, infoHashHex);
      const ok =
        counts.complete >= (want.seeders ?? 0) && counts.incomplete >= (want.leechers ?? 0);
      return ok ? counts : undefined;
    },
    timeoutMs,
    `tracker ${announceUrl} to count ${JSON.stringify(want)} for ${infoHashHex}`,
    250,
  );
}
