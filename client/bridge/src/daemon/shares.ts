import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';
import type { TorrentFormat } from '@enjambre/bittorrent';
import type { TorrentCreator } from '../engine';
import { Bridge } from './bridge';
import { AlreadyAdded, notFound } from './http-error';
import type { BridgeMetrics } from './metrics';

export interface ShareJob {
  id: string;
  path: string;
  state: 'hashing' | 'done' | 'error';
  progress: number;
  error?: string;
  infoHash?: string;
  magnet?: string;
  name?: string;
}

export interface ShareRequest {
  path: string;
  trackers: string[];
  private?: boolean;
  comment?: string;
  /** v1 (default), v2 or hybrid (BEP 52). */
  format?: TorrentFormat;
}

const KEEP_JOBS = 200;
const PROGRESS_EVERY_MS = 250;

/**
 * Share jobs: hash in the background, then add the torrent in seed mode with the files as they
 * were hashed (the engine seeds without reading them again and publishes to enjambre trackers). The API answers 202 with the job id at once; progress
 * reaches the GUI through `update` events (pushed on the WebSocket) and `GET /api/shares/:id`.
 */
export class Shares extends EventEmitter<{ update: [ShareJob] }> {
  private readonly jobs = new Map<string, ShareJob>();

  constructor(
    private readonly bridge: Bridge,
    private readonly create: TorrentCreator,
    private readonly metrics?: BridgeMetrics,
  ) {
    super();
  }

  get(id: string): ShareJob {
    const job = this.jobs.get(id);
    if (!job) throw notFound(`no share job ${id}`);
    return job;
  }

  start(req: ShareRequest): ShareJob {
    const job: ShareJob = { id: randomUUID(), path: req.path, state: 'hashing', progress: 0 };
    this.jobs.set(job.id, job);
    for (const old of this.jobs.keys()) {
      if (this.jobs.size <= KEEP_JOBS) break;
      if (this.jobs.get(old)!.state !== 'hashing') this.jobs.delete(old);
    }
    void this.run(job, req);
    return job;
  }

  /** Runs a share to its end; resolves with the finished job (done or error). */
  async run(job: ShareJob, req: ShareRequest): Promise<ShareJob> {
    let last = 0;
    const end = this.metrics?.shareHashSeconds.startTimer();
    try {
      const { torrent, size, verified } = await this.create(req.path, {
        trackers: req.trackers,
        private: req.private,
        comment: req.comment,
        ...(req.format ? { format: req.format } : {}),
        onProgress: (hashed, total) => {
          job.progress = total > 0 ? hashed / total : 1;
          const now = Date.now();
          if (now - last >= PROGRESS_EVERY_MS) {
            last = now;
            this.emit('update', { ...job });
          }
        },
      });
      end?.();
      this.metrics?.shareHashBytes.inc(size);
      let t;
      try {
        t = await this.bridge.add({
          source: { torrent },
          downloadDir: dirname(req.path),
          // the creator just verified every piece: the engine need not read the data again
          seedMode: true,
          verified,
        });
      } catch (err) {
        // Sharing what is already shared is not a failure: hand out the same magnet again.
        if (!(err instanceof AlreadyAdded)) throw err;
        t = this.bridge.get(err.infoHash);
      }
      const status = t.status();
      Object.assign(job, {
        state: 'done',
        progress: 1,
        infoHash: t.infoHash,
        magnet: status.magnet,
        name: status.name,
      });
    } catch (err) {
      Object.assign(job, {
        state: 'error',
        error: err instanceof Error ? err.message : String(err),
      });
    }
    this.emit('update', { ...job });
    return job;
  }
}
