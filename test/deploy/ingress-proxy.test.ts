// A real tracker behind a real reverse proxy: Debian's nginx stands in for the chart's Ingress (its
// locations generated from the rendered Ingress objects, X-Forwarded-For added as ingress-nginx
// does), the tracker runs with the environment the chart gives its pods. With the chart's
// tracker.trustedProxies (--trusted-proxies) the recorded peer address is the client's, over HTTP
// and gRPC, and a client's own forged X-Forwarded-For changes nothing; without it the tracker
// records the proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import { AnnounceEvent, type AnnounceRequest } from '@enjambre/proto';
import { testing } from '@enjambre/tracker';
import { buildTracker, until } from '../cluster/cluster';
import { freePort } from '../peers/util';
import { announcePath, get, hash, peerId } from '../security/tracker-net';
import { containerEnv, renderHelm, repoRoot, type K8sObject } from './manifests';

jest.setTimeout(120_000);

const NGINX = '/usr/sbin/nginx';
/** The address nginx connects to the tracker from (the Ingress controller pod's). */
const PROXY = '127.0.0.5';
/** The HTTP client's address (127.0.0.0/8 is all local on Linux: another host). */
const CLIENT = '127.0.0.2';
const FORGED = '203.0.113.9';

const ingressValues = {
  ingress: { enabled: true, className: 'nginx', grpc: { enabled: true } },
  tracker: { trustedProxies: [`${PROXY}/32`] },
};
const ingressObjects = renderHelm(ingressValues);

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanups.reverse()) await f();
});

function stopOnCleanup(proc: ChildProcess): void {
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Ports {
  grpc: number;
  http: number;
  metrics: number;
}

/** The tracker CLI with the pod environment of `objects`, on free ports. */
async function startTracker(objects: K8sObject[]): Promise<Ports> {
  const dir = tempDir('enjambre-ingress-tracker-');
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
  const peersFile = path.join(dir, 'peers.json');
  fs.writeFileSync(peersFile, '{}');
  const env = {
    ...containerEnv(objects, { 'metadata.name': 'enjambre-tracker-0' }),
    ENJAMBRE_TRACKER_IP: '127.0.0.1',
    ENJAMBRE_TRACKER_PORT: String(ports.grpc),
    ENJAMBRE_TRACKER_HTTP_PORT: String(ports.http),
    ENJAMBRE_TRACKER_UDP_PORT: String(ports.http),
    ENJAMBRE_TRACKER_METRICS_PORT: String(ports.metrics),
    ENJAMBRE_TRACKER_REPLICATION_PORT: String(await freePort()),
    ENJAMBRE_TRACKER_DATA_DIR: path.join(dir, 'data'),
    ENJAMBRE_TRACKER_PEERS_FILE: peersFile,
  };
  const log = fs.openSync(path.join(dir, 'tracker.log'), 'a');
  const proc = spawn(
    process.execPath,
    [path.join(repoRoot, 'services/tracker/bin/enjambre-tracker.js')],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  stopOnCleanup(proc);
  await until(
    'tracker ready',
    async () => (await fetch(`http://127.0.0.1:${ports.metrics}/readyz`)).status === 200,
    60_000,
    () => fs.readFileSync(path.join(dir, 'tracker.log'), 'utf8'),
  );
  return ports;
}

/**
 * nginx.conf for the rendered Ingress objects, as an Ingress controller would route them: one
 * server per Ingress (HTTP/2 for the gRPC one), one location per path, X-Forwarded-For appended.
 */
function nginxConfig(prefix: string, listen: Record<string, number>, tracker: Ports): string {
  const upstream: Record<string, number> = { http: tracker.http, grpc: tracker.grpc };
  const servers = ingressObjects
    .filter((o) => o.kind === 'Ingress')
    .map((ing) => {
      const annotations = ing.metadata.annotations as Record<string, string> | undefined;
      const grpc = annotations?.['nginx.ingress.kubernetes.io/backend-protocol'];
      const locations = ing.spec.rules.flatMap(
        (rule: {
          http: {
            paths: Array<{
              path: string;
              pathType: string;
              backend: { service: { port: { name: string } } };
            }>;
          };
        }) =>
          rule.http.paths.map((p) => {
            const port = upstream[p.backend.service.port.name];
            const match = p.pathType === 'Exact' ? `= ${p.path}` : p.path;
            return grpc === 'GRPC'
              ? `location ${match} { grpc_pass grpc://127.0.0.1:${port}; grpc_bind ${PROXY};` +
                  ` grpc_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }`
              : `location ${match} { proxy_pass http://127.0.0.1:${port}; proxy_bind ${PROXY};` +
                  ` proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }`;
          }),
      );
      const http2 = grpc === 'GRPC' ? ' http2' : '';
      return `server { listen 127.0.0.1:${listen[ing.metadata.name]}${http2};
        ${locations.join('\n        ')}
        location / { return 404; } }`;
    });
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `${t}_temp_path ${prefix}/${t};`)
    .join(' ');
  return `daemon off; worker_processes 1; pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 64; }
http { access_log off; ${temp}
  ${servers.join('\n  ')}
}
`;
}

/** nginx with its own config and temp prefix on loopback ports; unprivileged (nobody) as root. */
async function startNginx(tracker: Ports): Promise<Record<string, number>> {
  const prefix = tempDir('enjambre-nginx-');
  const names = ingressObjects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name);
  const listen: Record<string, number> = {};
  for (const name of names) listen[name] = await freePort();
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), nginxConfig(prefix, listen, tracker));
  const root = process.getuid?.() === 0;
  if (root) fs.chownSync(prefix, 65534, 65534);
  const proc = spawn(
    NGINX,
    ['-p', prefix, '-c', `${prefix}/nginx.conf`, '-e', `${prefix}/error.log`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    },
  );
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  stopOnCleanup(proc);
  const http = listen[names.find((n) => n.endsWith('-http'))!];
  await until(
    'nginx listening',
    async () => (await get(http, '/')) !== null,
    30_000,
    () => stderr + safeRead(path.join(prefix, 'error.log')),
  );
  return listen;
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const announce = (info: Buffer, n: number): AnnounceRequest => ({
  infoHash: info,
  peerId: peerId(n),
  event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  port: 7000 + n,
  ip: '',
  numwant: 200,
});

/** The addresses (ip:port) a fresh leecher asking the tracker directly is handed for `info`. */
async function recorded(tracker: Ports, info: Buffer): Promise<string[]> {
  const c = testing.trackerClient(tracker.grpc);
  try {
    const r = await c.announce(announce(info, 99));
    return r.peers.map((p) => `${p.address}:${p.port}`).sort();
  } finally {
    c.close();
  }
}

beforeAll(() => {
  buildTracker();
});

it('the chart renders the Ingress objects the proxy is built from, and wires the trusted proxies', () => {
  const names = ingressObjects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name);
  expect(names.sort()).toEqual(['enjambre-tracker-grpc', 'enjambre-tracker-http']);
  expect(containerEnv(ingressObjects).ENJAMBRE_TRACKER_TRUSTED_PROXIES).toBe(`${PROXY}/32`);
  expect(containerEnv(renderHelm()).ENJAMBRE_TRACKER_TRUSTED_PROXIES).toBeUndefined();
});

describe.each([
  ['with tracker.trustedProxies (the chart with its Ingress)', ingressObjects, true],
  ['without the flag (the default chart)', renderHelm(), false],
])('a tracker behind nginx, %s', (_name, objects, trusted) => {
  let tracker: Ports;
  let proxy: Record<string, number>;
  beforeAll(async () => {
    tracker = await startTracker(objects);
    proxy = await startNginx(tracker);
  });

  it(`records ${trusted ? "the client's address" : "the proxy's address"} for an HTTP announce through the proxy, whatever the client forwards itself`, async () => {
    const plain = hash(1);
    const res = await get(
      proxy['enjambre-tracker-http'],
      announcePath(plain, peerId(1), 7001),
      CLIENT,
    );
    expect(res?.status).toBe(200);
    const forged = hash(2);
    const res2 = await get(
      proxy['enjambre-tracker-http'],
      announcePath(forged, peerId(2), 7002),
      CLIENT,
      `X-Forwarded-For: ${FORGED}\r\n`,
    );
    expect(res2?.status).toBe(200);
    const expected = trusted ? CLIENT : PROXY;
    expect(await recorded(tracker, plain)).toEqual([`${expected}:7001`]);
    expect(await recorded(tracker, forged)).toEqual([`${expected}:7002`]);
  });

  it(`records ${trusted ? "the client's address" : "the proxy's address"} for a gRPC announce through the proxy`, async () => {
    const c = testing.trackerClient(proxy['enjambre-tracker-grpc']);
    try {
      const info = hash(3);
      await c.announce(announce(info, 3));
      const forged = new Metadata();
      forged.set('x-forwarded-for', FORGED);
      const info2 = hash(4);
      await new Promise<void>((resolve, reject) =>
        c.raw.announce(announce(info2, 4), forged, (err) => (err ? reject(err) : resolve())),
      );
      // grpc-js connects from 127.0.0.1.
      const expected = trusted ? '127.0.0.1' : PROXY;
      expect(await recorded(tracker, info)).toEqual([`${expected}:7003`]);
      expect(await recorded(tracker, info2)).toEqual([`${expected}:7004`]);
    } finally {
      c.close();
    }
  });

  it('passes only the Ingress paths: the rest of the HTTP port and Replication stay behind', async () => {
    expect((await get(proxy['enjambre-tracker-http'], '/metrics', CLIENT))?.status).toBe(404);
    expect((await get(proxy['enjambre-tracker-http'], '/announcex', CLIENT))?.status).toBe(404);
    // A gRPC call outside the client service: nginx answers 404, which gRPC reports as UNIMPLEMENTED.
    const raw = new Client(
      `127.0.0.1:${proxy['enjambre-tracker-grpc']}`,
      credentials.createInsecure(),
    );
    try {
      const code = await new Promise<number>((resolve) =>
        raw.makeUnaryRequest(
          '/enjambre.tracker.v1.Replication/Snapshot',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (err) => resolve(err?.code ?? 0),
        ),
      );
      expect(code).toBe(status.UNIMPLEMENTED);
    } finally {
      raw.close();
    }
  });
});
