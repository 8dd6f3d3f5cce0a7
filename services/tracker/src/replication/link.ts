/**
 * An outbound link to one other replica: KnowMe, then one RePublish stream that starts with our
 * whole state and continues with our changes as they happen. On any failure it reconnects with
 * backoff and starts over with the whole state, so the other side never needs to know what it
 * missed.
 */
import * as grpc from '@grpc/grpc-js';
import { replication } from '@enjambre/proto';
import { SessionSender } from './auth';
import {
  HandshakeError,
  callKnowMe,
  sessionMetadata,
  type Identity,
  type Session,
} from './handshake';
import type { ReplicationMetrics } from './metrics';
import { Outbox } from './outbox';
import { BATCH_RECORDS, type ChangeBatch } from './records';

export type LinkState = 'connecting' | 'live' | 'down' | 'self' | 'stopped';

export interface LinkDeps {
  me: Identity;
  metrics: ReplicationMetrics;
  /** Our whole state as full-state batches (store snapshot and tombstones). */
  fullState: () => Iterable<ChangeBatch>;
  onState: (link: Link) => void;
  /** Asked after a handshake: false if another link already replicates to that replica. */
  claim: (link: Link, peerId: Buffer) => boolean;
  /** The replicas the other side's Welcome listed (it has live links with them). */
  onKnown: (known: string[]) => void;
  log: (level: 'info' | 'warn', msg: string, extra?: object) => void;
  maxPending: number;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

export class Link {
  state: LinkState = 'connecting';
  peerId: Buffer | null = null;
  /** Consecutive failed attempts (a learned link gives up after a few). */
  failures = 0;
  readonly outbox: Outbox;
  /** Resumes the pump waiting for changes (or the backoff sleep). */
  private wake: (() => void) | null = null;
  /** Resumes the pump waiting for the stream to drain. */
  private unblock: (() => void) | null = null;
  private stopped = false;
  private lastError = '';

  constructor(
    readonly target: string,
    readonly client: replication.ReplicationClient,
    /** Introduced by KnowMe rather than listed in the peers file (the file adopts it if it lists it). */
    public learned: boolean,
    private readonly deps: LinkDeps,
  ) {
    this.outbox = new Outbox(deps.maxPending);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.setState('stopped');
    this.outbox.clear();
    this.wake?.();
    this.unblock?.();
  }

  /** The peer has just reached us: if the link is down, retry now and count failures afresh. */
  revive(): void {
    if (this.state !== 'down') return;
    this.failures = 0;
    this.wake?.();
  }

  /** Queues local changes (only while live: a new session starts with the whole state). */
  send(batch: ChangeBatch): void {
    if (this.state !== 'live') return;
    this.outbox.push(batch);
    this.wake?.();
  }

  private setState(state: LinkState): void {
    if (this.state === state || this.state === 'stopped') return;
    this.state = state;
    this.deps.onState(this);
  }

  private async run(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      try {
        const session = await callKnowMe(this.client, this.deps.me, 10_000);
        if (this.stopped) return;
        if (!this.deps.claim(this, session.peerId)) {
          this.deps.log('info', 'another link already replicates to this replica', {
            target: this.target,
          });
          this.stop();
          return;
        }
        this.peerId = session.peerId;
        this.failures = 0;
        this.deps.onKnown(session.known ?? []);
        backoff = MIN_BACKOFF_MS;
        await this.stream(session);
      } catch (err) {
        if (err instanceof HandshakeError && err.reason === 'self') {
          this.setState('self');
          return;
        }
        this.failures++;
        const reason =
          err instanceof HandshakeError ? err.reason : this.state === 'live' ? 'stream' : 'connect';
        this.deps.metrics.fail(reason === 'self' ? 'auth' : reason);
        const message = (err as Error).message;
        if (message !== this.lastError) {
          this.deps.log('warn', 'replication link failed', {
            target: this.target,
            reason,
            error: message,
          });
          this.lastError = message;
        }
      }
      if (this.stopped) return;
      if (this.state === 'down') this.deps.onState(this);
      else this.setState('down');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private stream(session: Session): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let finished = false;
      const call = this.client.rePublish(sessionMetadata(session), (err) => {
        finished = true;
        this.wake?.();
        this.unblock?.();
        if (err) reject(err);
        else resolve();
      });
      const sender = new SessionSender(session.key, 'c2s');
      const write = async (b: ChangeBatch): Promise<void> => {
        const payload = Buffer.from(replication.ChangeBatch.encode(b).finish());
        const ok = call.write({ batch: sender.sign(payload) });
        this.deps.metrics.messages.inc({ direction: 'sent' });
        this.deps.metrics.bytes.inc({ direction: 'sent' }, payload.length);
        if (!ok && !finished) {
          // Backpressure: only the stream draining (or ending) resumes, not new changes.
          await new Promise<void>((r) => {
            const resume = () => {
              call.off('drain', resume);
              this.unblock = null;
              r();
            };
            call.on('drain', resume);
            this.unblock = resume;
          });
        }
      };
      const pump = async () => {
        this.outbox.clear();
        this.setState('live');
        this.lastError = '';
        this.deps.log('info', 'replicating', {
          target: this.target,
          peer: session.peerId.toString('hex'),
        });
        for (const b of this.deps.fullState()) {
          if (finished || this.stopped) break;
          await write(b);
        }
        while (!finished && !this.stopped) {
          if (this.outbox.overflowed) {
            this.deps.metrics.fail('overflow');
            call.cancel();
            return;
          }
          const b = this.outbox.take(BATCH_RECORDS);
          if (b !== null) {
            await write(b);
            continue;
          }
          await new Promise<void>((r) => (this.wake = r));
          this.wake = null;
        }
        if (this.stopped) call.end();
      };
      pump().catch((err) => {
        call.cancel();
        reject(err);
      });
    });
  }
}

export function isGrpcError(err: unknown): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'details' in err;
}
