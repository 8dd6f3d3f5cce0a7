/**
 * A UDP worker process: reads the tracker's UDP socket (the same socket as its parent, passed
 * as a handle, so the kernel hands each datagram to whichever process is waiting), answers
 * connect requests itself, and forwards every other packet to the parent, which owns the
 * store, in one batch per event-loop turn; it sends the answers when the batch comes back.
 * This spreads the per-datagram system calls, which cost more than the store, over cores.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { ipToBytes } from '../net/ip';
import { BatchWriter, asBuffer, forEachAnswer } from './batch';
import { ConnectionIds } from './connection-id';
import { connectResponse, isConnectRequest } from './handler';

export interface WorkerInit {
  type: 'init';
  secret: Uint8Array;
}

/** Batches sent and not answered yet before new packets are dropped (bounded memory). */
const MAX_IN_FLIGHT = 32;
/** A batch is sent early once this big. */
const FLUSH_BYTES = 60 * 1024;

interface Pending {
  addresses: string[];
  ports: number[];
}

function serve(socket: Socket, ids: ConnectionIds): void {
  const send = (m: unknown): void => {
    process.send?.(m);
  };
  const batch = new BatchWriter();
  let current: Pending = { addresses: [], ports: [] };
  const inFlight: Pending[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (batch.count === 0) return;
    send({ type: 'batch', data: batch.view() });
    inFlight.push(current);
    current = { addresses: [], ports: [] };
    batch.reset();
  };

  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const ip = ipToBytes(rinfo.address);
    if (ip === null) return;
    if (isConnectRequest(msg)) {
      socket.send(connectResponse(ids, msg, ip, rinfo.port), rinfo.port, rinfo.address);
      return;
    }
    if (inFlight.length >= MAX_IN_FLIGHT) return; // the store's process is behind: shed load
    batch.addRequest(ip, rinfo.port, msg);
    current.addresses.push(rinfo.address);
    current.ports.push(rinfo.port);
    if (batch.length >= FLUSH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });

  process.on('message', (m: { type?: string; data?: Uint8Array }) => {
    if (m.type !== 'answers' || m.data === undefined) return;
    const pending = inFlight.shift();
    if (pending === undefined) return;
    forEachAnswer(asBuffer(m.data), (i, packet) => {
      if (packet !== null) socket.send(packet, pending.ports[i], pending.addresses[i]);
    });
  });
}

process.on('disconnect', () => process.exit(0));
process.once('message', (m: WorkerInit, handle: unknown) => {
  if (m.type !== 'init') return;
  const socket = handle as Socket;
  socket.on('error', (err) => console.error('UDP worker socket error', err));
  serve(socket, new ConnectionIds({ secret: Buffer.from(m.secret) }));
  process.send?.({ type: 'ready' });
});
