/**
 * The batched UDP path: the native addon (services/tracker/native) reads up to SLOTS datagrams
 * with one recvmmsg into a buffer shared with this file, calls `onBatch` once, and sends the
 * answers written into its send slots with one sendmmsg. Same handler, same answers as the dgram
 * path; fewer system calls and crossings into JavaScript per datagram.
 */
import { UdpAction } from '@enjambre/bittorrent';
import { join } from 'node:path';
import type { UdpReplySink, UdpRequestHandler } from './handler';

export interface NativeUdpSocket {
  close(): void;
  port(): number;
  /** An answer too big for a send slot, sent at once to the source of request `index`. */
  sendTo(index: number, packet: Buffer): void;
  stats(): { sendDropped: number };
}

export interface NativeUdp {
  SLOTS: number;
  RECV_SLOT: number;
  SEND_SLOT: number;
  open(
    host: string,
    port: number,
    reusePort: boolean,
    recvBufferSize: number,
    recvData: ArrayBuffer,
    recvMeta: ArrayBuffer,
    recvAddr: ArrayBuffer,
    sendData: ArrayBuffer,
    sendMeta: ArrayBuffer,
    onBatch: (count: number) => number,
  ): NativeUdpSocket;
}

/** Where `npm run build` puts the addon (the same from src/udp and dist/udp). */
export const DEFAULT_ADDON = join(
  __dirname,
  '..',
  '..',
  'native',
  'build',
  'Release',
  'udp_mmsg.node',
);

/** The addon, or the reason it cannot be used (missing, not built, wrong platform). */
export function loadNativeUdp(file = DEFAULT_ADDON): NativeUdp | Error {
  if (process.platform !== 'linux') return new Error('batched UDP needs Linux');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as NativeUdp;
    if (typeof addon.open !== 'function' || !(addon.SLOTS > 0))
      return new Error(`${file}: not the UDP addon`);
    return addon;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Answers of one batch, written into the addon's send slots (answer j for request `index`). */
class SlotSink implements UdpReplySink {
  /** The request being answered. */
  index = 0;
  /** Answers written so far in this batch. */
  count = 0;
  private readonly data: Buffer;
  private readonly meta: Int32Array;

  constructor(
    private readonly addon: NativeUdp,
    sendData: ArrayBuffer,
    sendMeta: ArrayBuffer,
    private readonly socket: () => NativeUdpSocket,
  ) {
    this.data = Buffer.from(sendData);
    this.meta = new Int32Array(sendMeta);
  }

  buffer(size: number): Buffer {
    if (size > this.addon.SEND_SLOT) return Buffer.allocUnsafe(size);
    const at = this.count * this.addon.SEND_SLOT;
    return this.data.subarray(at, at + size);
  }

  send(packet: Buffer): void {
    const slot = this.addon.SEND_SLOT;
    if (packet.length > slot) {
      this.socket().sendTo(this.index, packet);
      return;
    }
    const at = this.count * slot;
    // Written by buffer() in place, or an answer encoded elsewhere: copied into the slot.
    if (packet.buffer !== this.data.buffer || packet.byteOffset !== at) packet.copy(this.data, at);
    this.meta[this.count * 2] = packet.length;
    this.meta[this.count * 2 + 1] = this.index;
    this.count++;
  }
}

/** One batched socket answering through `handler`. */
export class MmsgTransport {
  private readonly socket: NativeUdpSocket;
  private readonly sink: SlotSink;
  private readonly recvData: Buffer;
  private readonly recvMeta: Int32Array;
  private readonly recvAddr: Buffer;

  constructor(
    addon: NativeUdp,
    host: string,
    port: number,
    private readonly handler: UdpRequestHandler,
    options: { reusePort?: boolean; recvBufferSize?: number } = {},
  ) {
    const recvData = new ArrayBuffer(addon.SLOTS * addon.RECV_SLOT);
    const recvMeta = new ArrayBuffer(addon.SLOTS * 4 * 4);
    const recvAddr = new ArrayBuffer(addon.SLOTS * 16);
    const sendData = new ArrayBuffer(addon.SLOTS * addon.SEND_SLOT);
    const sendMeta = new ArrayBuffer(addon.SLOTS * 2 * 4);
    this.recvData = Buffer.from(recvData);
    this.recvMeta = new Int32Array(recvMeta);
    this.recvAddr = Buffer.from(recvAddr);
    this.sink = new SlotSink(addon, sendData, sendMeta, () => this.socket);
    const slot = addon.RECV_SLOT;
    this.socket = addon.open(
      host,
      port,
      options.reusePort ?? false,
      options.recvBufferSize ?? 0,
      recvData,
      recvMeta,
      recvAddr,
      sendData,
      sendMeta,
      (count) => this.onBatch(count, slot),
    );
  }

  get port(): number {
    return this.socket.port();
  }

  close(): void {
    this.socket.close();
  }

  private onBatch(count: number, slot: number): number {
    const sink = this.sink;
    sink.count = 0;
    const meta = this.recvMeta;
    for (let i = 0; i < count; i++) {
      const length = meta[i * 4];
      const family = meta[i * 4 + 1];
      if (length <= 0 || (family !== 4 && family !== 6)) continue;
      const at = i * slot;
      let msg = this.recvData.subarray(at, at + length);
      // The store and its listeners (replication, persistence) may keep views of an announce
      // (info-hash, peer id, address) past this call: those get bytes of their own, since the
      // slots are overwritten by the next batch.
      const ip = Buffer.from(this.recvAddr.subarray(i * 16, i * 16 + (family === 4 ? 4 : 16)));
      if (length >= 16 && msg.readUInt32BE(8) === UdpAction.Announce) msg = Buffer.from(msg);
      sink.index = i;
      this.handler.handle(msg, ip, meta[i * 4 + 2], sink);
    }
    return sink.count;
  }
}
