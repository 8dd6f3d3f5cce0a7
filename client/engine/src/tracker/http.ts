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

function get(url: string, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { signal, headers: { 'user-agent': 'enjambre/0.1' } }, (res) => {
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
    req.on('error', (err) => reject(signal.aborted ? new Error('timed out') : err));
  });
}
