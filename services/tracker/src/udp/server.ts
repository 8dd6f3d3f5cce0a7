import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Socket as Pipe } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TrackerMetrics } from '../metrics';
import { ipToBytes } from '../net/ip';
import type { RateLimiter } from '../rate-limit';
import type { SwarmStore } from '../store/types';
import { BatchWriter, FrameReader, forEachRequest, frame } from './batch';
import { ConnectionIds } from './connection-id';
import { UdpRequestHandler, type UdpReplySink } from './handler';
import { MmsgTransport, loadNativeUdp } from './mmsg';
import type { WorkerInit } from './worker';

/** dgram: Node's sockets; mmsg: the batched addon (an error if absent); auto: mmsg if it loads. */
export type UdpIo = 'dgram' | 'mmsg' | 'auto';

export interface UdpTrackerOptions {
  host: string;
  port: number;
  store: SwarmStore;
  metrics: TrackerMetrics;
  logger: Logger;
  /** Honour the announce's IPv4 `ip` field (off: a client cannot announce someone else). */
  allowIpParam?: boolean;
  /** Announces per second per address, shared with the other front ends. */
  limiter?: RateLimiter;
  /**
   * Worker processes reading the same socket besides this one (default 0). They answer
   * connects themselves and forward everything else here in batches; the store stays here.
   */
  workers?: number;
  /**
   * How datagrams are read and sent (default auto: the batched addon when it is built and no
   * worker shares the socket, else dgram). Workers need dgram.
   */
  io?: UdpIo;
  /** The addon to load for mmsg/auto (tests point it at a missing file). */
  addonFile?: string;
}

/** 1 MiB absorbs bursts of a few thousand requests (the default ~200 KiB drops a few hundred). */
const RECV_BUFFER = 1024 * 1024;

/** The compiled worker entry (beside this file when built; from dist/ when run from source). */
function workerFile(): string {
  const beside = join(__dirname, 'worker.js');
  return existsSync(beside) ? beside : join(__dirname, '..', '..', 'dist', 'udp', 'worker.js');
}

/**
 * dgram resolves every destination with dns.lookup, which answers an IP literal on the next tick:
 * per datagram a closure, a nextTick and a tick-queue drain (about a tenth of the CPU of an
 * announce). Every address this socket sends to is the literal a datagram came from, so it is
 * handed back at once.
 */
export const literalLookup = (
  address: string,
  _family: unknown,
  callback: (err: Error | null, address: string, family: number) => void,
): void => callback(null, address, address.includes(':') ? 6 : 4);

/** Answers go straight to the socket; the shared buffer is used while nothing is queued. */
class SocketSink implements UdpReplySink {
  address = '';
  port = 0;
  private readonly shared = Buffer.allocUnsafeSlow(20 + 200 * 18);

  constructor(private readonly socket: Socket) {}

  /**
   * The shared buffer while the socket's send queue is empty (a datagram that was not sent at
   * once stays queued, with its buffer, until it is), else a new one. Spares the GC a Buffer
   * per announce.
   */
  buffer(size: number): Buffer {
    if (size <= this.shared.length && this.socket.getSendQueueSize() === 0) {
      return this.shared.subarray(0, size);
    }
    return Buffer.allocUnsafe(size);
  }

  send(packet: Buffer): void {
    this.socket.send(packet, this.port, this.address);
  }
}

/** Answers of a worker's batch, written back to back into one reused buffer. */
class BatchSink implements UdpReplySink {
  readonly out = new BatchWriter();
  private readonly scratch = Buffer.allocUnsafeSlow(20 + 200 * 18);
  private lengthAt = 0;

  begin(): void {
    this.lengthAt = this.out.reserve(2);
    this.out.buffer.writeUInt16BE(0, this.lengthAt);
  }

  buffer(size: number): Buffer {
    return size <= this.scratch.length ? this.scratch.subarray(0, size) : Buffer.allocUnsafe(size);
  }

  send(packet: Buffer): void {
    const at = this.out.reserve(packet.length);
    packet.copy(this.out.buffer, at);
    this.out.buffer.writeUInt16BE(packet.length, this.lengthAt);
  }
}

/** The BEP 15 front end: one socket, read by this process and optionally by worker processes. */
export class UdpTracker {
  /** The dgram socket, or null on the batched path. */
  private readonly socket: Socket | null = null;
  private readonly mmsg: MmsgTransport | null = null;
  private readonly secret = randomBytes(32);
  private readonly handler: UdpRequestHandler;
  private readonly sink: SocketSink | null = null;
  private readonly batchSink = new BatchSink();
  private readonly workers: ChildProcess[] = [];

  private constructor(private readonly options: UdpTrackerOptions) {
    this.handler = new UdpRequestHandler({
      store: options.store,
      metrics: options.metrics,
      logger: options.logger,
      allowIpParam: options.allowIpParam,
      limiter: options.limiter,
      ids: new ConnectionIds({ secret: this.secret }),
    });
    const io = options.io ?? 'auto';
    const workers = options.workers ?? 0;
    if (io === 'mmsg' && workers > 0)
      throw new Error('--udp-io mmsg cannot share its socket with --workers');
    if (io !== 'dgram' && workers === 0) {
      const addon = loadNativeUdp(options.addonFile);
      if (!(addon instanceof Error)) {
        // Binds at once (synchronously), so a busy port throws from here.
        this.mmsg = new MmsgTransport(addon, options.host, options.port, this.handler, {
          recvBufferSize: RECV_BUFFER,
        });
        return;
      }
      if (io === 'mmsg') throw new Error(`batched UDP addon unavailable: ${addon.message}`);
      options.logger.info({ reason: addon.message }, 'batched UDP addon unavailable: using dgram');
    }
    this.socket = createSocket({
      type: options.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: RECV_BUFFER,
      lookup: literalLookup,
    });
    this.sink = new SocketSink(this.socket);
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on('error', (err) => options.logger.error({ err }, 'UDP socket error'));
  }

  /** 'mmsg' or 'dgram': the path this tracker answers on. */
  get io(): 'mmsg' | 'dgram' {
    return this.mmsg !== null ? 'mmsg' : 'dgram';
  }

  static async listen(options: UdpTrackerOptions): Promise<UdpTracker> {
    const tracker = new UdpTracker(options);
    const socket = tracker.socket;
    if (socket === null) return tracker;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      for (let i = 0; i < (options.workers ?? 0); i++) await tracker.startWorker();
    } catch (err) {
      await tracker.close();
      throw err;
    }
    return tracker;
  }

  get port(): number {
    return this.mmsg !== null ? this.mmsg.port : this.socket!.address().port;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    if (this.mmsg !== null) this.mmsg.close();
    const socket = this.socket;
    if (socket !== null) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private startWorker(): Promise<void> {
    const { logger } = this.options;
    const child = fork(workerFile(), [], {
      serialization: 'advanced',
      execArgv: [],
      // fd 4: the batch pipe (PIPE_FD in worker.ts).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    this.workers.push(child);
    const pipe = child.stdio[4] as Pipe;
    pipe.on('error', () => child.kill());
    const batches = new FrameReader((batch) => this.answerBatch(pipe, batch));
    pipe.on('data', (chunk: Buffer) => {
      try {
        batches.push(chunk);
      } catch (err) {
        logger.error({ err }, 'bad batch from a UDP worker');
        child.kill();
      }
    });
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => reject(err);
      const exited = (code: number | null): void =>
        reject(new Error(`UDP worker exited with ${code} before it was ready`));
      child.once('error', failed);
      child.once('exit', exited);
      child.on('message', (m: { type?: string }) => {
        if (m.type === 'ready') {
          child.off('error', failed);
          child.off('exit', exited);
          child.on('exit', (code, signal) => {
            if (code !== 0 && signal !== 'SIGTERM')
              logger.error({ workerPid: child.pid, code, signal }, 'UDP worker exited');
          });
          logger.info({ workerPid: child.pid }, 'UDP worker started');
          resolve();
        }
      });
      const init: WorkerInit = { type: 'init', secret: this.secret };
      child.send(init, this.socket!);
    });
  }

  private answerBatch(pipe: Pipe, batch: Buffer): void {
    const sink = this.batchSink;
    sink.out.reset();
    try {
      forEachRequest(batch, (ip, port, packet) => {
        sink.begin();
        this.options.metrics.udpForwarded.value++;
        this.handler.handle(packet, ip, port, sink);
      });
    } catch (err) {
      this.options.logger.error({ err }, 'bad batch from a UDP worker');
    }
    if (!pipe.destroyed) pipe.write(frame(sink.out));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const ip = ipToBytes(rinfo.address);
    if (ip === null) return;
    const sink = this.sink!;
    sink.address = rinfo.address;
    sink.port = rinfo.port;
    this.handler.handle(msg, ip, rinfo.port, sink);
  }
}
