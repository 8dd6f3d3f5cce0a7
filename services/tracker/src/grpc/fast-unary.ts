import type { Metadata, Server, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';

/**
 * A unary method answered straight on node:http2, beside grpc-js, with the same decoder, handler
 * and encoder grpc-js would use. Measured under h2load, grpc-js costs 33–45 µs of CPU per call
 * with a handler that does nothing and raw node:http2 22–28 µs; Announce is most of the
 * tracker's gRPC traffic, so it alone takes this path. Anything the path does not handle itself
 * (another method, a compressed request, a wrong content type) goes on to grpc-js unchanged.
 */
export interface FastUnaryMethod<Req, Res> {
  path: string;
  requestDeserialize(bytes: Buffer): Req;
  responseSerialize(response: Res): Buffer;
  handler(call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void;
}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** gRPC's framing: 1 byte compressed flag, 4 bytes length. */
const PREFIX = 5;
const OK_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity',
};

/**
 * Puts `method` in front of the grpc-js server's own stream handler, on every HTTP/2 server it
 * has bound (call after bindAsync). Returns false, leaving grpc-js alone, if this grpc-js keeps
 * its servers elsewhere (its `http2Servers` map is private).
 */
export function installFastUnary<Req, Res>(
  server: Server,
  method: FastUnaryMethod<Req, Res>,
  maxRequestBytes: number,
  logger: Logger,
): boolean {
  const servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    logger.warn('gRPC fast path not installed: this grpc-js keeps its HTTP/2 servers elsewhere');
    return false;
  }
  for (const http2Server of servers.keys()) {
    const grpcJs = http2Server.listeners('stream') as StreamListener[];
    if (grpcJs.length === 0) return false;
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      if (
        headers[':path'] !== method.path ||
        !String(headers['content-type']).startsWith('application/grpc') ||
        (headers['grpc-encoding'] !== undefined && headers['grpc-encoding'] !== 'identity')
      ) {
        for (const listener of grpcJs) listener.call(http2Server, stream, headers);
        return;
      }
      answer(stream, headers, method, maxRequestBytes);
    });
  }
  return true;
}

function answer<Req, Res>(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: FastUnaryMethod<Req, Res>,
  maxRequestBytes: number,
): void {
  // An error is followed by 'close'; nothing more can be sent, and nothing must throw.
  stream.on('error', () => {});
  const chunks: Buffer[] = [];
  let length = 0;
  let refused = false;
  stream.on('data', (chunk: Buffer) => {
    if (refused) return;
    length += chunk.length;
    if (length > maxRequestBytes + PREFIX) {
      refused = true;
      fail(stream, 8, `request larger than ${maxRequestBytes} bytes`); // RESOURCE_EXHAUSTED
      return;
    }
    chunks.push(chunk);
  });
  stream.on('end', () => {
    if (refused || stream.closed || stream.destroyed) return;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
    if (body.length < PREFIX || body.readUInt32BE(1) !== body.length - PREFIX) {
      fail(stream, 12, 'a unary call carries exactly one message'); // UNIMPLEMENTED, as grpc-js
      return;
    }
    if (body[0] !== 0) {
      fail(stream, 13, 'compressed message without grpc-encoding'); // INTERNAL, as grpc-js
      return;
    }
    const request = method.requestDeserialize(body.subarray(PREFIX));
    const call = {
      request,
      getPeer: () => peerOf(stream),
      metadata: { get: (key: string) => metadataValues(headers, key) } as unknown as Metadata,
    } as unknown as ServerUnaryCall<Req, Res>;
    method.handler(call, (err, response) => {
      if (stream.closed || stream.destroyed) return;
      if (err) {
        const e = err as { code?: number; details?: string; message?: string };
        fail(stream, e.code ?? 2, e.details ?? e.message ?? 'unknown error');
        return;
      }
      const message = method.responseSerialize(response as Res);
      const frame = Buffer.allocUnsafe(PREFIX + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, PREFIX);
      stream.respond(OK_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
}

/** A trailers-only answer carrying a gRPC status. */
function fail(stream: ServerHttp2Stream, code: number, details: string): void {
  if (stream.headersSent || stream.closed || stream.destroyed) return;
  stream.respond(
    { ...OK_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeURIComponent(details) },
    { endStream: true },
  );
}

/** The peer as grpc-js's getPeer() writes it ("address:port"). */
function peerOf(stream: ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  if (!socket?.remoteAddress) return 'unknown';
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
}

/** Metadata values of a header, as grpc-js's Metadata.get gives them (comma-joined repeats). */
function metadataValues(headers: IncomingHttpHeaders, key: string): string[] {
  const value = headers[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
