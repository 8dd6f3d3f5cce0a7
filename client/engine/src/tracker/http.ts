import http from 'node:http';
import https from 'node:https';
import {
  HTTP_MAX_RESPONSE,
  buildAnnounceUrl,
  buildScrapeUrl,
  decodeHttpAnnounceResponse,
  decodeHttpScrapeResponse,
  scrapeUrlFor,
} from '@enjambre/bittorrent';
import type { AnnounceRequest, AnnounceResult, ScrapeResult, TrackerClient } from './client';

/** BEP 3/23 HTTP(S) tracker client: one GET per announce, bounded response size. */
export class HttpTrackerClient implements TrackerClient {
  private trackerId?: string;

  constructor(private readonly url: string) {}

  async announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    const target = buildAnnounceUrl(this.url, {
      infoHash: req.infoHash,
      peerId: req.peerId,
      port: req.port,
      uploaded: req.uploaded,
      downloaded: req.downloaded,
      left: req.left,
      event: req.event,
      numWant: req.numwant,
      key: req.key.toString(16),
      trackerId: this.trackerId,
    });
    const res = decodeHttpAnnounceResponse(await get(target, signal));
    if (res.failureReason !== undefined) throw new Error(`tracker says: ${res.failureReason}`);
    if (res.trackerId) this.trackerId = res.trackerId;
    return {
      interval: res.interval,
      peers: res.peers.map((p) => ({ host: p.ip, port: p.port })),
      seeders: res.complete,
      leechers: res.incomplete,
    };
  }

  async scrape(infoHash: Buffer, signal: AbortSignal): Promise<ScrapeResult> {
    const su = scrapeUrlFor(this.url);
    if (!su) throw new Error('this tracker cannot be scraped');
    const res = decodeHttpScrapeResponse(await get(buildScrapeUrl(su, [infoHash]), signal));
    if (res.failureReason !== undefined) throw new Error(`tracker says: ${res.failureReason}`);
    const f = res.files.find((x) => x.infoHash.equals(infoHash));
    if (!f) throw new Error('torrent not in the scrape answer');
    return { seeders: f.complete, leechers: f.incomplete, completed: f.downloaded };
  }
}

/**
 * Node's agent keeps connections alive, but many trackers (opentracker among them) close theirs
 * after each answer: a request that went out on such a socket just as it closed fails with a
 * reset it never reached the tracker for. That one is sent again, once, on a new connection.
 */
async function get(url: string, signal: AbortSignal): Promise<Buffer> {
  try {
    return await getOnce(url, signal);
  } catch (err) {
    if (!(err instanceof ReusedSocketClosed) || signal.aborted) throw err;
    return getOnce(url, signal, false);
  }
}

class ReusedSocketClosed extends Error {}

function getOnce(url: string, signal: AbortSignal, reuse = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const options = { signal, headers: { 'user-agent': 'enjambre/0.1' } };
    const req = mod.get(url, reuse ? options : { ...options, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode} from tracker`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > HTTP_MAX_RESPONSE) {
          req.destroy(new Error('tracker response too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new Error('timed out'));
      else if (req.reusedSocket && err.code === 'ECONNRESET')
        reject(new ReusedSocketClosed(err.message));
      else reject(err);
    });
  });
}
