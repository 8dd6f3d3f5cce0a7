// What every real-client peer offers a test, whatever program runs behind it.
import type { ManagedProcess } from './process';
import { GiveUp, waitFor } from './util';

export type PeerRole = 'seed' | 'leech';

export interface PeerStatus {
  /** 0..1 of the selected data verified and on disk. */
  progress: number;
  /** Peers the client is connected to right now. */
  peers: number;
  /** The client's own word for what it is doing (e.g. "downloading", "seeding", "checking"). */
  state: string;
  downloadRate: number;
  uploadRate: number;
}

export interface Peer {
  readonly client: 'libtorrent' | 'transmission' | 'aria2';
  /** TCP port the client accepts peers on, on 127.0.0.1. */
  readonly port: number;
  /** Download folder (the torrent's files are inside it). */
  readonly dir: string;
  readonly pid: number;
  /** The latest status the client reported. */
  status(): Promise<PeerStatus>;
  /** Resolves once progress reaches `fraction`; rejects on timeout or if the client exits. */
  waitForProgress(fraction: number, timeoutMs?: number): Promise<PeerStatus>;
  /** Resolves once every piece is verified (progress 1). */
  waitForComplete(timeoutMs?: number): Promise<PeerStatus>;
  /** Resolves once the client is connected to at least `count` peers. */
  waitForPeers(count: number, timeoutMs?: number): Promise<PeerStatus>;
  /** The last lines of the client's output, for failure messages. */
  tail(lines?: number): string;
  /** Stops the client (process group) and removes its private config/state dirs, not `dir`. */
  stop(): Promise<void>;
}

/** Implements the waiting helpers of `Peer` on top of `status()` and the process. */
export abstract class PeerBase implements Peer {
  abstract readonly client: Peer['client'];
  abstract readonly port: number;
  abstract readonly dir: string;

  constructor(protected readonly proc: ManagedProcess) {}

  get pid(): number {
    return this.proc.pid;
  }

  abstract status(): Promise<PeerStatus>;
  abstract stop(): Promise<void>;

  tail(lines = 30): string {
    return this.proc.tail(lines);
  }

  waitForProgress(fraction: number, timeoutMs = 60_000): Promise<PeerStatus> {
    return this.waitForStatus((s) => s.progress >= fraction, `progress ${fraction}`, timeoutMs);
  }

  waitForComplete(timeoutMs = 60_000): Promise<PeerStatus> {
    return this.waitForStatus((s) => s.progress >= 1, 'completion', timeoutMs);
  }

  waitForPeers(count: number, timeoutMs = 60_000): Promise<PeerStatus> {
    return this.waitForStatus((s) => s.peers >= count, `${count} connected peer(s)`, timeoutMs);
  }

  protected async waitForStatus(
    done: (status: PeerStatus) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<PeerStatus> {
    let last: PeerStatus | undefined;
    try {
      return await waitFor(
        async () => {
          if (this.proc.hasExited) throw new GiveUp(`${this.client} exited`);
          last = await this.status();
          return done(last) ? last : undefined;
        },
        timeoutMs,
        `${this.client} ${what}`,
        200,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${message}; last status ${JSON.stringify(last)}\n--- ${this.client} output ---\n${this.tail()}`,
      );
    }
  }
}
