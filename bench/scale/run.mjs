#!/usr/bin/env node
// Scale benchmark: N small seeding torrents (one 1-2 KB file each, a tracker that refuses
// connections, no peers) in one enjambre daemon and in Debian's qbittorrent-nox, the same N in
// the same run. For each N and program: time to add them all through the API (qBittorrent with
// skip_checking, in batches of 100 per request; enjambre one request each, 8 in flight), idle
// CPU seconds over a window, RSS, the full listing's latency and size (median of 5), a paged
// listing, restart until every torrent is seeding again, and in headless Chromium the web UI's
// first paint of the list, rows in the DOM and scroll frame times. Then a table and the ratios.
//
//   node bench/scale/run.mjs [--quick] [--n 1000,5000,10000] [--idle S] [--only enjambre,qbittorrent]
//                            [--no-gui] [--no-restart] [--keep] [--profile]
//
// Needs `npx tsc -b` and the web build (`node scripts/build-web.mjs`) first; qbittorrent-nox
// from Debian (`apt-get install -y qbittorrent-nox`) or it is skipped with a note.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import bencode from 'bencode';
import WebSocket from 'ws';

/* global fetch, FormData, Blob, URLSearchParams, document, requestAnimationFrame, getComputedStyle */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'bench/out');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const quick = flag('quick');
const sizes = value('n', quick ? '1000' : '1000,5000,10000')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const idleS = Number(value('idle', quick ? 10 : 30));
const only = value('only', 'enjambre,qbittorrent').split(',');
const gui = !flag('no-gui');
const restart = !flag('no-restart');
// V8 CPU profiles of each enjambre process, into bench/out/profiles/scale/
const profileArgs = flag('profile')
  ? ['--cpu-prof', `--cpu-prof-dir=${path.join(out, 'profiles', 'scale')}`]
  : [];
const QBT = '/usr/bin/qbittorrent-nox';
const CHROMIUM = '/usr/bin/chromium';
const TRACKER = 'http://127.0.0.1:9/announce'; // discard port: nothing listens, refused at once
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
// Every torrent-get field of rpc-version 17 (as bench/rpc asks for them).
const TR_FIELDS = `activityDate addedDate bandwidthPriority comment corruptEver creator dateCreated
desiredAvailable doneDate downloadDir downloadedEver downloadLimit downloadLimited editDate error
errorString eta etaIdle file-count files fileStats hashString haveUnchecked haveValid
honorsSessionLimits id isFinished isPrivate isStalled labels leftUntilDone magnetLink
manualAnnounceTime maxConnectedPeers metadataPercentComplete name peer-limit peers peersConnected
peersFrom peersGettingFromUs peersSendingToUs percentDone pieces pieceCount pieceSize priorities
primary-mime-type queuePosition rateDownload rateUpload recheckProgress secondsDownloading
secondsSeeding seedIdleLimit seedIdleMode seedRatioLimit seedRatioMode sizeWhenDone startDate status
trackers trackerStats totalSize torrentFile uploadedEver uploadLimit uploadLimited uploadRatio
wanted webseeds webseedsSendingToUs`.split(/\s+/);
const ENJAMBRE_CLI = path.join(root, 'client/bridge/bin/enjambre.js');
const WEB_ROOT = path.join(root, 'client/web/dist/web/browser');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** utime+stime of the process (all threads), seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------- data
/** N torrents of one small file each, cached by N under the temp folder. */
async function buildTorrents(n) {
  const dir = path.join(os.tmpdir(), 'enjambre-bench-scale', String(n));
  const data = path.join(dir, 'data');
  const files = path.join(dir, 'torrents');
  const done = path.join(dir, 'done');
  if (existsSync(done)) return { dir, data, files, list: JSON.parse(await fs.readFile(done)) };
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(data, { recursive: true });
  await fs.mkdir(files, { recursive: true });
  const list = [];
  for (let i = 0; i < n; i++) {
    const name = `bench-scale-${String(i).padStart(5, '0')}.bin`;
    const size = 1024 + (i % 1024);
    const content = createHash('sha256').update(`scale:${n}:${i}`).digest();
    const body = Buffer.alloc(size);
    for (let o = 0; o < size; o += 32) content.copy(body, o);
    body.writeUInt32BE(i, 0);
    await fs.writeFile(path.join(data, name), body);
    const info = {
      length: size,
      name: Buffer.from(name),
      'piece length': 16384,
      pieces: createHash('sha1').update(body).digest(),
    };
    const torrent = bencode.encode({ announce: Buffer.from(TRACKER), info });
    const infoHash = createHash('sha1').update(bencode.encode(info)).digest('hex');
    const file = path.join(files, `${String(i).padStart(5, '0')}.torrent`);
    await fs.writeFile(file, torrent);
    list.push({ name, infoHash, file });
  }
  await fs.writeFile(done, JSON.stringify(list));
  return { dir, data, files, list };
}

// ---------------------------------------------------------------- processes
function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines = [];
  const keep = (d) => {
    lines.push(...String(d).split('\n'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.once('exit', r));
  child.tail = () => lines.slice(-20).join('\n');
  child.label = name;
  return child;
}

async function stop(child, timeoutMs = 30_000) {
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const t0 = performance.now();
  child.kill('SIGTERM');
  const r = await Promise.race([
    child.exited.then(() => 'ok'),
    sleep(timeoutMs).then(() => 'late'),
  ]);
  if (r === 'late') {
    child.kill('SIGKILL');
    await child.exited;
  }
  return (performance.now() - t0) / 1000;
}

async function until(what, fn, timeoutMs, everyMs = 250) {
  const t0 = performance.now();
  for (;;) {
    let last;
    try {
      if (await fn()) return (performance.now() - t0) / 1000;
    } catch (err) {
      last = err;
    }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------- enjambre
function enjambre(set) {
  let child;
  let apiPort;
  let rpcPort;
  let token;
  let trSid = '';
  let qbCookie;
  const dataDir = path.join(set.dir, `enjambre-${process.pid}`);
  const headers = () => ({ authorization: `Bearer ${token}` });
  const get = async (p) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${p}`, { headers: headers() });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res;
  };
  return {
    name: 'enjambre',
    get pid() {
      return child.pid;
    },
    async launch() {
      apiPort ??= await freePort();
      rpcPort ??= await freePort();
      trSid = '';
      qbCookie = undefined;
      child = start('enjambre', process.execPath, [
        ...profileArgs,
        ENJAMBRE_CLI,
        'start',
        '--data-dir',
        dataDir,
        '--download-dir',
        set.data,
        '--api-port',
        String(apiPort),
        '--rpc-port',
        String(rpcPort),
        '--port',
        '0',
        '--web-root',
        WEB_ROOT,
      ]);
      await until(
        'the enjambre API',
        async () => {
          if (child.exitCode !== null) throw new Error(`enjambre exited: ${child.tail()}`);
          token ??= (await fs.readFile(path.join(dataDir, 'token'), 'utf8')).trim();
          return (await get('/api/torrents?limit=1')).ok;
        },
        120_000,
        100,
      );
    },
    async add() {
      await pool(set.list, 8, async (t) => {
        const torrent = (await fs.readFile(t.file)).toString('base64');
        const res = await fetch(`http://127.0.0.1:${apiPort}/api/torrents`, {
          method: 'POST',
          headers: { ...headers(), 'content-type': 'application/json' },
          body: JSON.stringify({ torrent }),
        });
        if (res.status !== 201) throw new Error(`add: ${res.status} ${await res.text()}`);
      });
    },
    async seeding() {
      const list = await (await get('/api/torrents?fields=infoHash,state')).json();
      return list.length === set.list.length && list.every((t) => t.state === 'seeding');
    },
    async listAll() {
      const res = await get('/api/torrents');
      return (await res.arrayBuffer()).byteLength;
    },
    async listPage() {
      const res = await get('/api/torrents?offset=0&limit=100');
      return (await res.arrayBuffer()).byteLength;
    },
    /** The GUI's first WebSocket message: bytes on the wire (compressed or not), its JSON, time. */
    wsFirst() {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const ws = new WebSocket(`ws://127.0.0.1:${apiPort}/api/ws?token=${token}`, {
          perMessageDeflate: true, // what browsers offer
        });
        const timer = setTimeout(() => reject(new Error('no WebSocket message')), 60_000);
        ws.once('error', reject);
        ws.once('message', (data) => {
          clearTimeout(timer);
          const wire = ws._socket.bytesRead;
          resolve({ wireBytes: wire, jsonBytes: data.length, s: (performance.now() - t0) / 1000 });
          ws.terminate();
        });
      });
    },
    /** Transmission torrent-get of every field; answer bytes. */
    async trGet() {
      const auth = `Basic ${Buffer.from(`bench:${token}`).toString('base64')}`;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${rpcPort}/transmission/rpc`, {
          method: 'POST',
          headers: { authorization: auth, 'x-transmission-session-id': trSid },
          body: JSON.stringify({ method: 'torrent-get', arguments: { fields: TR_FIELDS } }),
        });
        if (res.status === 409) {
          trSid = res.headers.get('x-transmission-session-id');
          await res.arrayBuffer();
          continue;
        }
        if (!res.ok) throw new Error(`torrent-get: ${res.status}`);
        return (await res.arrayBuffer()).byteLength;
      }
      throw new Error('torrent-get: no session id');
    },
    /** qBittorrent WebAPI GET (torrents/info, sync/maindata); answer bytes. */
    async qb(p) {
      const base = `http://127.0.0.1:${rpcPort}/api/v2`;
      if (qbCookie === undefined) {
        const res = await fetch(`${base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: 'admin', password: token }).toString(),
        });
        qbCookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
        if ((await res.text()) !== 'Ok.') throw new Error('enjambre qBittorrent login failed');
      }
      const res = await fetch(`${base}/${p}`, { headers: { cookie: qbCookie } });
      if (!res.ok) throw new Error(`${p}: ${res.status}`);
      return (await res.arrayBuffer()).byteLength;
    },
    guiUrl: () => `http://127.0.0.1:${apiPort}/?token=${token}`,
    stop: () => stop(child),
    cleanup: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------- qBittorrent
function qbittorrent(set) {
  let child;
  let webPort;
  const profile = path.join(set.dir, `qbt-${process.pid}`);
  const base = () => `http://127.0.0.1:${webPort}/api/v2`;
  const get = async (p) => {
    const res = await fetch(base() + p);
    if (!res.ok) throw new Error(`GET ${p}: ${res.status}`);
    return res;
  };
  return {
    name: 'qbittorrent',
    get pid() {
      return child.pid;
    },
    async launch() {
      if (!webPort) {
        webPort = await freePort();
        const peerPort = await freePort();
        const conf = path.join(profile, 'qBittorrent/config');
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
            `Session\\Port=${peerPort}`,
            `Session\\DefaultSavePath=${set.data}`,
            'Session\\Interface=lo',
            'Session\\InterfaceName=lo',
            '[Preferences]',
            'Connection\\UPnP=false',
            'WebUI\\Address=127.0.0.1',
            `WebUI\\Port=${webPort}`,
            'WebUI\\LocalHostAuth=false',
            'WebUI\\CSRFProtection=false',
            'WebUI\\HostHeaderValidation=false',
            '',
          ].join('\n'),
        );
      }
      child = start('qbittorrent', QBT, [`--profile=${profile}`, `--webui-port=${webPort}`]);
      await until(
        'the qBittorrent WebAPI',
        async () => {
          if (child.exitCode !== null) throw new Error(`qbittorrent exited: ${child.tail()}`);
          return (await get('/app/version')).ok;
        },
        120_000,
        100,
      );
    },
    async add() {
      const batches = [];
      for (let i = 0; i < set.list.length; i += 100) batches.push(set.list.slice(i, i + 100));
      await pool(batches, 2, async (batch) => {
        const form = new FormData();
        for (const t of batch) {
          form.append('torrents', new Blob([await fs.readFile(t.file)]), path.basename(t.file));
        }
        form.append('savepath', set.data);
        form.append('skip_checking', 'true');
        const res = await fetch(`${base()}/torrents/add`, { method: 'POST', body: form });
        const text = await res.text();
        if (!res.ok || text.trim() !== 'Ok.') throw new Error(`add: ${res.status} ${text}`);
      });
    },
    async seeding() {
      const list = await (await get('/torrents/info')).json();
      const up = new Set(['uploading', 'stalledUP', 'forcedUP', 'queuedUP']);
      return list.length === set.list.length && list.every((t) => up.has(t.state));
    },
    async listAll() {
      return (await (await get('/torrents/info')).arrayBuffer()).byteLength;
    },
    async listPage() {
      return (await (await get('/torrents/info?offset=0&limit=100')).arrayBuffer()).byteLength;
    },
    async qb(p) {
      return (await (await get(`/${p}`)).arrayBuffer()).byteLength;
    },
    guiUrl: () => `http://127.0.0.1:${webPort}/`,
    stop: () => stop(child, 60_000),
    cleanup: () => fs.rm(profile, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------- GUI
let browser;
async function openBrowser() {
  if (browser) return browser;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return browser;
}

/**
 * Navigation to the first painted torrent row (a row's name in the DOM, then two animation
 * frames), rows in the DOM, and the frame times of scrolling the list's scroller by 40 px a frame
 * for 150 frames.
 */
async function measureGui(url) {
  const b = await openBrowser();
  const page = await b.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: 120_000 });
    await page.waitForFunction(() => document.body?.textContent?.includes('bench-scale-'), null, {
      timeout: 180_000,
      polling: 50,
    });
    const firstPaint = await page.evaluate(
      () =>
        new Promise((r) =>
          requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))),
        ),
    );
    await sleep(1500); // let the list settle (a second message, late rows)
    const rows = await page.evaluate(() => document.querySelectorAll('tr').length);
    const frames = await page.evaluate(async () => {
      const all = [document.scrollingElement, ...document.querySelectorAll('*')];
      let scroller = document.scrollingElement;
      let best = 0;
      for (const el of all) {
        if (!el) continue;
        const room = el.scrollHeight - el.clientHeight;
        const style = el === document.scrollingElement ? 'auto' : getComputedStyle(el).overflowY;
        if (room > best && (style === 'auto' || style === 'scroll')) {
          best = room;
          scroller = el;
        }
      }
      const times = [];
      let last = performance.now();
      for (let i = 0; i < 150; i++) {
        scroller.scrollTop += 40;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    });
    return {
      firstPaintS: firstPaint / 1000,
      rows,
      frameMedianMs: median(frames),
      frameP95Ms: pct(frames, 0.95),
    };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------- one program, one N
async function run(program, set) {
  const n = set.list.length;
  const r = { program: program.name, n };
  log(`${program.name} N=${n}: starting`);
  await program.launch();
  const tAdd = performance.now();
  await program.add();
  r.addS = (performance.now() - tAdd) / 1000;
  r.seedingS =
    r.addS + (await until(`${program.name}: all seeding`, () => program.seeding(), 600_000, 500));
  log(`${program.name} N=${n}: ${n} added in ${fmt(r.addS)} s, seeding after ${fmt(r.seedingS)} s`);
  await sleep(5000); // the first announces and their failures pass
  const c0 = cpuSeconds(program.pid);
  await sleep(idleS * 1000);
  r.idleCpuS = cpuSeconds(program.pid) - c0;
  r.idleCpuPct = (100 * r.idleCpuS) / idleS;
  r.rssMb = rssMb(program.pid);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    r.listBytes = await program.listAll();
    times.push((performance.now() - t0) / 1000);
  }
  r.listS = median(times);
  const pageTimes = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    r.pageBytes = await program.listPage();
    pageTimes.push((performance.now() - t0) / 1000);
  }
  r.pageS = median(pageTimes);
  // the remote-control APIs' full listings (qBittorrent's torrents/info is listAll above)
  const timed = async (fn) => {
    const ts = [];
    let bytes;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      bytes = await fn();
      ts.push((performance.now() - t0) / 1000);
    }
    return [median(ts), bytes];
  };
  if (program.trGet) [r.trGetS, r.trGetBytes] = await timed(() => program.trGet());
  if (program.name === 'enjambre') [r.qbInfoS] = await timed(() => program.qb('torrents/info'));
  else r.qbInfoS = r.listS;
  [r.qbMainS, r.qbMainBytes] = await timed(() => program.qb('sync/maindata'));
  if (program.wsFirst) {
    const firsts = [];
    for (let i = 0; i < 3; i++) firsts.push(await program.wsFirst());
    r.wsFirstS = median(firsts.map((f) => f.s));
    r.wsWireBytes = firsts[0].wireBytes;
    r.wsJsonBytes = firsts[0].jsonBytes;
  }
  log(
    `${program.name} N=${n}: idle CPU ${fmt(r.idleCpuS, 2)} s / ${idleS} s, RSS ${fmt(r.rssMb)} MB, list ${fmt(r.listS, 3)} s, ` +
      `torrent-get ${fmt(r.trGetS, 3)} s, torrents/info ${fmt(r.qbInfoS, 3)} s, sync/maindata ${fmt(r.qbMainS, 3)} s`,
  );
  if (gui) {
    try {
      Object.assign(r, await measureGui(program.guiUrl()));
      log(
        `${program.name} N=${n}: GUI first paint ${fmt(r.firstPaintS, 2)} s, ${r.rows} rows, frame ${fmt(r.frameMedianMs)} ms`,
      );
    } catch (err) {
      r.guiError = err.message;
      log(`${program.name} N=${n}: GUI failed: ${err.message}`);
    }
  }
  if (restart) {
    r.stopS = await program.stop();
    const t0 = performance.now();
    await program.launch();
    await until(
      `${program.name}: all seeding after restart`,
      () => program.seeding(),
      600_000,
      200,
    );
    r.restartS = (performance.now() - t0) / 1000;
    log(`${program.name} N=${n}: restart until all seeding ${fmt(r.restartS, 2)} s`);
  }
  await program.stop();
  if (!flag('keep')) await program.cleanup();
  return r;
}

// ---------------------------------------------------------------- main
async function main() {
  await fs.mkdir(out, { recursive: true });
  if (!existsSync(path.join(root, 'client/bridge/dist/cli.js'))) {
    throw new Error('build first: npx tsc -b');
  }
  if (gui && !existsSync(path.join(WEB_ROOT, 'index.html'))) {
    throw new Error('build the GUI first: node scripts/build-web.mjs (or pass --no-gui)');
  }
  const programs = only.filter((p) => {
    if (p === 'qbittorrent' && !existsSync(QBT)) {
      log('qbittorrent-nox is not installed (apt-get install -y qbittorrent-nox): skipped');
      return false;
    }
    return p === 'enjambre' || p === 'qbittorrent';
  });
  let qbtVersion = '';
  if (programs.includes('qbittorrent')) {
    qbtVersion = execFileSync(QBT, ['--version'], { encoding: 'utf8' }).trim();
  }
  const rows = [];
  try {
    for (const n of sizes) {
      log(`building ${n} torrents`);
      const set = await buildTorrents(n);
      for (const name of programs) {
        const program = name === 'enjambre' ? enjambre(set) : qbittorrent(set);
        try {
          rows.push(await run(program, set));
        } catch (err) {
          log(`${name} N=${n} failed: ${err.message}`);
          rows.push({ program: name, n, error: err.message });
          await program.stop().catch(() => undefined);
          if (!flag('keep')) await program.cleanup().catch(() => undefined);
        }
      }
    }
  } finally {
    await browser?.close();
  }
  await fs.writeFile(path.join(out, 'scale-results.json'), JSON.stringify(rows, null, 2));
  console.log(
    `\nScale: N small seeding torrents, idle window ${idleS} s, ${os.cpus().length} cores${qbtVersion ? `, ${qbtVersion}` : ''}\n`,
  );
  console.log(
    '| program | N | add s | seeding s | idle CPU s | idle CPU % | RSS MB | list s | list MB | page(100) s | page kB | torrent-get s | torrents/info s | sync/maindata s | first WS msg s (wire / JSON MB) | GUI paint s | DOM rows | frame ms (p50/p95) | restart s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.error) {
      console.log(`| ${r.program} | ${r.n} | failed: ${r.error} |`);
      continue;
    }
    console.log(
      `| ${r.program} | ${r.n} | ${fmt(r.addS)} | ${fmt(r.seedingS)} | ${fmt(r.idleCpuS, 2)} | ${fmt(r.idleCpuPct)} | ${fmt(r.rssMb)} | ${fmt(r.listS, 3)} | ${fmt(r.listBytes / 1e6, 2)} | ${fmt(r.pageS, 3)} | ${fmt(r.pageBytes / 1e3)} | ${fmt(r.trGetS, 3)} | ${fmt(r.qbInfoS, 3)} | ${fmt(r.qbMainS, 3)} | ${r.wsFirstS === undefined ? '—' : `${fmt(r.wsFirstS, 3)} (${fmt(r.wsWireBytes / 1e6, 2)} / ${fmt(r.wsJsonBytes / 1e6, 2)})`} | ${r.guiError ? 'failed' : fmt(r.firstPaintS, 2)} | ${r.rows ?? '—'} | ${fmt(r.frameMedianMs)} / ${fmt(r.frameP95Ms)} | ${fmt(r.restartS, 2)} |`,
    );
  }
  for (const n of sizes) {
    const e = rows.find((r) => r.program === 'enjambre' && r.n === n && !r.error);
    const q = rows.find((r) => r.program === 'qbittorrent' && r.n === n && !r.error);
    if (!e || !q) continue;
    console.log(
      `N=${n} enjambre / qbittorrent: idle CPU ${fmt(e.idleCpuS / q.idleCpuS, 2)}×, RSS ${fmt(e.rssMb / q.rssMb, 2)}×, ` +
        `list ${fmt(e.listS / q.listS, 2)}×, torrents/info ${fmt(e.qbInfoS / q.qbInfoS, 2)}×, ` +
        `sync/maindata ${fmt(e.qbMainS / q.qbMainS, 2)}×, add ${fmt(e.addS / q.addS, 2)}×` +
        (e.firstPaintS && q.firstPaintS
          ? `, GUI paint ${fmt(e.firstPaintS / q.firstPaintS, 2)}×`
          : '') +
        (e.restartS && q.restartS ? `, restart ${fmt(e.restartS / q.restartS, 2)}×` : ''),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
