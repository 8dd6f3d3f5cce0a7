/**
 * A UDP worker process: reads the tracker's UDP socket (the same socket as its parent, passed
 * as a handle, so the kernel hands each datagram to whichever process is waiting), answers
 * connect requests itself, and forwards every other packet to the parent, which owns the
 * store, in one batch per event-loop turn over a pipe (framed, see batch.ts); it sends the
 * answers when the batch comes back. The IPC channel only carries the socket and the secret.
 * This spreads the per-datagram system calls, which cost more than the store, over cores.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { Socket as Pipe } from 'node:net';
import { ipToBytes } from '../net/ip';
import { BatchWriter, FrameReader, forEachAnswer, frame } from './batch';
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

/** The batch pipe to the main process (file descriptor 4, after the IPC channel). */
export const PIPE_FD = 4;

function serve(socket: Socket, ids: ConnectionIds): void {
  const pipe = new Pipe({ fd: PIPE_FD, readable: true, writable: true });
  pipe.on('error', () => process.exit(1));
  const batch = new BatchWriter();
  let current: Pending = { addresses: [], ports: [] };
  const inFlight: Pending[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (batch.count === 0) return;
    pipe.write(frame(batch));
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

  const answers = new FrameReader((data) => {
    const pending = inFlight.shift();
    if (pending === undefined) return;
    forEachAnswer(data, (i, packet) => {
      if (packet !== null) socket.send(packet, pending.ports[i], pending.addresses[i]);
    });
  });
  pipe.on('data', (chunk: Buffer) => answers.push(chunk));
}

process.on('disconnect', () => process.exit(0));
process.once('message', (m: WorkerInit, handle: unknown) => {
  if (m.type !== 'init') return;
  const socket = handle as Socket;
  socket.on('error', (err) => console.error('UDP worker socket error', err));
  serve(socket, new ConnectionIds({ secret: Buffer.from(m.secret) }));
  process.send?.({ type: 'ready' });
});
