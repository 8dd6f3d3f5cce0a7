#!/usr/bin/env node
// Remote-control API benchmark: Transmission `torrent-get` of every rpc-version 17 field and
// qBittorrent `sync/maindata` (full update, rid=0), with N torrents loaded, against enjambre
// (its own daemon process), Debian's transmission-daemon 3.00 and qbittorrent-nox 4.5 when
// installed, with the same torrents (single-file, stopped, no data), in one invocation.
//
//   npm run bench:rpc -- [--torrents 1000,10000] [--calls N] [--only enjambre,transmission,qbittorrent]
//                        [--profile]   (enjambre's CPU profile in bench/out/rpc-profile)
//
// Per daemon and size: median and p95 latency of `calls` sequential calls (one warm-up first),
// and CPU milliseconds per call (utime+stime of the daemon process from /proc, over all calls).
// Each daemon gets a fresh profile; the torrents are added through its own API (paused).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/* global fetch, FormData, Blob, URLSearchParams */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const SIZES = value('torrents', '1000,10000').split(',').map(Number);
const CALLS = Number(value('calls', 20));
const ONLY = value('only', 'enjambre,transmission,qbittorrent').split(',');
const PROFILE = argv.includes('--profile');
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);

// Every torrent-get field of rpc-version 17 (Transmission 3.00's list).
const FIELDS = `activityDate addedDate bandwidthPriority comment corruptEver creator dateCreated
desiredAvailable doneDate downloadDir downloadedEver downloadLimit downloadLimited editDate error
errorString eta etaIdle file-count files fileStats hashString haveUnchecked haveValid
honorsSessionLimits id isFinished isPrivate isStalled labels leftUntilDone magnetLink
manualAnnounceTime maxConnectedPeers metadataPercentComplete name peer-limit peers peersConnected
peersFrom peersGettingFromUs peersSendingToUs percentDone pieces pieceCount pieceSize priorities
primary-mime-type queuePosition rateDownload rateUpload recheckProgress secondsDownloading
secondsSeeding seedIdleLimit seedIdleMode seedRatioLimit seedRatioMode sizeWhenDone startDate status
trackers trackerStats totalSize torrentFile uploadedEver uploadLimit uploadLimited uploadRatio
wanted webseeds webseedsSendingToUs`.split(/\s+/);

// ---------------------------------------------------------------- torrents
function bencode(v) {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (typeof v === 'string') return bencode(Buffer.from(v));
  if (Array.isArray(v))
    return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.flatMap((k) => [bencode(k), bencode(v[k])]),
    Buffer.from('e'),
  ]);
}

/** N single-file torrents of 4 pieces each, the same for every daemon. */
function makeTorrents(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const pieceLength = 262144;
    const length = pieceLength * 3 + 1000 + i;
    const info = {
      length,
      name: `bench-${String(i).padStart(6, '0')}.bin`,
      'piece length': pieceLength,
      pieces: Buffer.concat(
        [0, 1, 2, 3].map((p) => createHash('sha1').update(`${i}-${p}`).digest()),
      ),
    };
    out.push(bencode({ announce: 'http://127.0.0.1:1/announce', info }));
  }
  return out;
}

// ---------------------------------------------------------------- processes
async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function waitUntil(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startProcess(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  return {
    pid: child.pid,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------------------------------------------------------------- clients
function transmissionClient(port, auth) {
  let sid = '';
  const url = `http://127.0.0.1:${port}/transmission/rpc`;
  return async function call(method, args) {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'x-transmission-session-id': sid, ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ method, arguments: args }),
      });
      if (res.status === 409) {
        sid = res.headers.get('x-transmission-session-id');
        await res.arrayBuffer();
        continue;
      }
      const text = await res.text();
      if (res.status !== 200)
        throw new Error(`${method}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return text;
    }
    throw new Error('no session id');
  };
}

async function qbClient(port, password) {
  const base = `http://127.0.0.1:${port}/api/v2`;
  let cookie = '';
  if (password !== undefined) {
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password }).toString(),
    });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    if ((await res.text()) !== 'Ok.') throw new Error('qBittorrent login failed');
  }
  return {
    get: async (p) => {
      const res = await fetch(`${base}/${p}`, { headers: { cookie } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return text;
    },
    add: async (torrents) => {
      const form = new FormData();
      torrents.forEach((t, i) => form.append('torrents', new Blob([t]), `t${i}.torrent`));
      form.append('paused', 'true');
      form.append('stopped', 'true');
      form.append('savepath', '/tmp');
      const res = await fetch(`${base}/torrents/add`, {
        method: 'POST',
        headers: { cookie },
        body: form,
      });
      const text = await res.text();
      if (text !== 'Ok.') throw new Error(`torrents/add: ${res.status} ${text}`);
    },
  };
}

// ---------------------------------------------------------------- daemons
async function startEnjambre(dir, torrents) {
  const rpcPort = await freePort();
  const p = startProcess(process.execPath, [
    ...(PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench/out/rpc-profile')}`]
      : []),
    path.join(root, 'client/bridge/bin/enjambre.js'),
    'start',
    '--data-dir',
    path.join(dir, 'data'),
    '--download-dir',
    path.join(dir, 'downloads'),
    '--api-port',
    '0',
    '--port',
    '0',
    '--rpc-port',
    String(rpcPort),
  ]);
  const token = await waitUntil('enjambre token', async () =>
    (await fs.readFile(path.join(dir, 'data', 'token'), 'utf8')).trim(),
  );
  const auth = `Basic ${Buffer.from(`bench:${token}`).toString('base64')}`;
  const tr = transmissionClient(rpcPort, auth);
  await waitUntil('enjambre rpc', () => tr('session-get', {}), 60_000).catch((e) => {
    throw new Error(`${e.message}: ${p.stderr()}`);
  });
  await addOverTransmission(tr, torrents, path.join(dir, 'downloads'));
  const qb = await qbClient(rpcPort, token);
  return { proc: p, tr, qb };
}

async function addOverTransmission(tr, torrents, dir) {
  let next = 0;
  const worker = async () => {
    while (next < torrents.length) {
      const t = torrents[next++];
      const r = JSON.parse(
        await tr('torrent-add', {
          metainfo: t.toString('base64'),
          paused: true,
          'download-dir': dir,
        }),
      );
      if (r.result !== 'success') throw new Error(`torrent-add: ${r.result}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

async function startTransmission(dir, torrents) {
  const port = await freePort();
  const config = path.join(dir, 'config');
  await fs.mkdir(config, { recursive: true });
  await fs.writeFile(
    path.join(config, 'settings.json'),
    JSON.stringify({
      'rpc-enabled': true,
      'rpc-port': port,
      'rpc-bind-address': '127.0.0.1',
      'rpc-authentication-required': false,
      'rpc-whitelist-enabled': false,
      'rpc-host-whitelist-enabled': false,
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'peer-port': 0,
      'download-dir': path.join(dir, 'downloads'),
      'start-added-torrents': false,
      'message-level': 1,
    }),
  );
  const p = startProcess('transmission-daemon', ['-f', '-g', config]);
  const tr = transmissionClient(port, undefined);
  await waitUntil('transmission-daemon rpc', () => tr('session-get', {}));
  await addOverTransmission(tr, torrents, path.join(dir, 'downloads'));
  return { proc: p, tr };
}

async function startQbittorrent(dir, torrents) {
  const port = await freePort();
  const conf = path.join(dir, 'profile', 'qBittorrent', 'config');
  await fs.mkdir(conf, { recursive: true });
  await fs.writeFile(
    path.join(conf, 'qBittorrent.conf'),
    [
      '[LegalNotice]',
      'Accepted=true',
      '[BitTorrent]',
      'Session\\DHTEnabled=false',
      'Session\\LSDEnabled=false',
      'Session\\PeXEnabled=false',
      'Session\\QueueingSystemEnabled=false',
      `Session\\DefaultSavePath=${path.join(dir, 'downloads')}`,
      '[Preferences]',
      'WebUI\\LocalHostAuth=false',
      'WebUI\\Address=127.0.0.1',
      `WebUI\\Port=${port}`,
      'WebUI\\CSRFProtection=false',
      'WebUI\\HostHeaderValidation=false',
      'Connection\\UPnP=false',
      '',
    ].join('\n'),
  );
  const p = startProcess('qbittorrent-nox', [
    `--profile=${path.join(dir, 'profile')}`,
    `--webui-port=${port}`,
  ]);
  const qb = await qbClient(port, undefined);
  await waitUntil('qbittorrent-nox webui', () => qb.get('app/version'));
  for (let i = 0; i < torrents.length; i += 200) await qb.add(torrents.slice(i, i + 200));
  await waitUntil(
    `qbittorrent-nox to list ${torrents.length} torrents`,
    async () => JSON.parse(await qb.get('torrents/info')).length === torrents.length,
    600_000,
  );
  return { proc: p, qb };
}

// ---------------------------------------------------------------- measurement
async function measure(proc, call, calls) {
  const first = await call(); // warm-up, and the answer's size
  const lat = [];
  const cpu0 = cpuMs(proc.pid);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call();
    lat.push(performance.now() - t0);
  }
  const cpu = (cpuMs(proc.pid) - cpu0) / calls;
  lat.sort((a, b) => a - b);
  return {
    median: lat[Math.floor(lat.length / 2)],
    p95: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.95))],
    cpu,
    bytes: first.length,
  };
}

const rows = [];
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'enjambre-bench-rpc-'));
try {
  if (ONLY.includes('enjambre'))
    execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  for (const n of SIZES) {
    const torrents = makeTorrents(n);
    const calls = Math.max(3, Math.round((CALLS * 1000) / Math.max(n, 1000)));
    const daemons = [
      ['enjambre', startEnjambre, true, true],
      [
        'transmission-daemon',
        startTransmission,
        existsSync('/usr/bin/transmission-daemon'),
        ONLY.includes('transmission'),
      ],
      [
        'qbittorrent-nox',
        startQbittorrent,
        existsSync('/usr/bin/qbittorrent-nox'),
        ONLY.includes('qbittorrent'),
      ],
    ];
    for (const [name, start, installed, wanted] of daemons) {
      if (!wanted || (name === 'enjambre' && !ONLY.includes('enjambre'))) continue;
      if (!installed) {
        console.log(`${name}: not installed, skipped`);
        continue;
      }
      const dir = path.join(tmp, `${name}-${n}`);
      const t0 = performance.now();
      const d = await start(dir, torrents);
      const loadS = (performance.now() - t0) / 1000;
      try {
        if (d.tr) {
          const m = await measure(d.proc, () => d.tr('torrent-get', { fields: FIELDS }), calls);
          rows.push({
            daemon: name,
            torrents: n,
            call: 'torrent-get (all fields)',
            ...m,
            rss: rssMiB(d.proc.pid),
            loadS,
          });
        }
        if (d.qb) {
          const m = await measure(d.proc, () => d.qb.get('sync/maindata?rid=0'), calls);
          rows.push({
            daemon: name,
            torrents: n,
            call: 'sync/maindata (full)',
            ...m,
            rss: rssMiB(d.proc.pid),
            loadS,
          });
        }
      } finally {
        await d.proc.stop();
        await fs.rm(dir, { recursive: true, force: true });
      }
      console.error(`${name} with ${n} torrents done (loaded in ${loadS.toFixed(1)} s)`);
    }
  }
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}

const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 1) => x.toFixed(d).padStart(9);
console.log(
  `\n${pad('call', 26)}${pad('torrents', 10)}${pad('daemon', 21)}${'median ms'.padStart(9)}${'p95 ms'.padStart(9)}${'CPU ms'.padStart(9)}${'MB'.padStart(9)}${'RSS MiB'.padStart(9)}  vs enjambre`,
);
for (const r of rows) {
  const base = rows.find(
    (x) => x.daemon === 'enjambre' && x.call === r.call && x.torrents === r.torrents,
  );
  const ratio =
    base && r.daemon !== 'enjambre' ? `${(r.median / base.median).toFixed(2)}x slower` : '';
  console.log(
    `${pad(r.call, 26)}${pad(r.torrents, 10)}${pad(r.daemon, 21)}${num(r.median)}${num(r.p95)}${num(r.cpu)}${num(r.bytes / 1e6, 2)}${num(r.rss, 0)}  ${ratio}`,
  );
}
