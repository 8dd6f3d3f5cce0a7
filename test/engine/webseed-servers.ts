// HTTP servers that play web seeds in the tests: a Node server with selectable misbehaviour,
// and Python's http.server (which ignores Range and answers 200 with the whole file).
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';

export type SeedBehaviour =
  /** Range answered with 206 and the exact bytes. */
  | 'range'
  /** Every request answered 416 Range Not Satisfiable. */
  | '416'
  /** 206 with every byte inverted: passes HTTP, fails the hash check. */
  | 'corrupt'
  /** 503 with Retry-After: 1 for the first `failFirst` requests, then 'range'. */
  | '503';

export interface TestSeedServer {
  url: string;
  /** Request paths (decoded) and Range headers, in order. */
  requests: Array<{ path: string; range?: string; status: number }>;
  close(): Promise<void>;
}

/** Serves `root` over HTTP on 127.0.0.1 (keep-alive), behaving as `behaviour` says. */
export async function startSeedServer(
  root: string,
  behaviour: SeedBehaviour,
  o: { failFirst?: number; bytesPerSecond?: number } = {},
): Promise<TestSeedServer> {
  const requests: TestSeedServer['requests'] = [];
  let failures = o.failFirst ?? 3;
  const server = http.createServer((req, res) => {
    void (async () => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const log = (status: number) =>
        requests.push({ path: rel, range: req.headers.range, status });
      const file = path.join(root, ...rel.split('/').filter((c) => c !== ''));
      if (!file.startsWith(root + path.sep)) return end(res, 403, log);
      if (behaviour === '416') return end(res, 416, log);
      if (behaviour === '503' && failures > 0) {
        failures--;
        res.setHeader('retry-after', '1');
        return end(res, 503, log);
      }
      let size: number;
      try {
        const st = await stat(file);
        if (!st.isFile()) return end(res, 404, log);
        size = st.size;
      } catch {
        return end(res, 404, log);
      }
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[1]) >= size) return end(res, 416, log);
      const first = Number(m[1]);
      const last = Math.min(size - 1, Number(m[2]));
      log(206);
      res.writeHead(206, {
        'content-range': `bytes ${first}-${last}/${size}`,
        'content-length': last - first + 1,
      });
      const read = createReadStream(file, { start: first, end: last, highWaterMark: 16384 });
      const body = o.bytesPerSecond ? read.pipe(throttle(o.bytesPerSecond)) : read;
      if (behaviour !== 'corrupt') return body.pipe(res);
      const invert = new Transform({
        transform(chunk: Buffer, _e, cb) {
          cb(null, Buffer.from(chunk.map((b) => b ^ 0xff)));
        },
      });
      body.pipe(invert).pipe(res);
    })();
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Passes bytes on at about `rate` bytes per second. */
function throttle(rate: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      setTimeout(() => cb(null, chunk), (chunk.length / rate) * 1000);
    },
  });
}

function end(res: http.ServerResponse, status: number, log: (s: number) => void): void {
  log(status);
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

/** `python3 -m http.server` serving `root` on a free 127.0.0.1 port. */
export async function startPythonServer(
  root: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.resume(); // one log line per request
    child.once('exit', (code) => reject(new Error(`http.server exited (${code}): ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
