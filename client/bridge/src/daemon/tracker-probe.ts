import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { decodeUdpResponse, encodeUdpConnectRequest } from '@enjambre/bittorrent';

const PROBE_TIMEOUT_MS = 5000;

/**
 * Whether an HTTP or UDP tracker answers at all (enjambre trackers are asked over gRPC instead):
 * any HTTP response, or a BEP 15 connect response with our transaction id. Resolves to an error
 * message, or undefined when the tracker answered.
 */
export async function probeTracker(url: string): Promise<string | undefined> {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    try {
      await fetch(u, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
      return undefined;
    } catch (err) {
      return describe(err);
    }
  }
  if (u.protocol === 'udp:') return probeUdp(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port));
  return `unsupported tracker protocol ${u.protocol}`;
}

function probeUdp(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const tid = randomInt(0, 2 ** 32);
    const done = (err: string | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(err);
    };
    const timer = setTimeout(() => done('no answer (timed out)'), PROBE_TIMEOUT_MS);
    sock.on('error', (err) => done(describe(err)));
    sock.on('message', (msg) => {
      try {
        const res = decodeUdpResponse(msg);
        if (res.transactionId !== tid) return;
        done(res.action === 'connect' ? undefined : `unexpected ${res.action} answer`);
      } catch (err) {
        done(describe(err));
      }
    });
    sock.send(encodeUdpConnectRequest(tid), port, host);
  });
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message ?? String(err);
}
