import { statfs } from 'node:fs/promises';
import type { TorrentSource, TorrentStatus } from '@enjambre/engine';
import type { Torrent } from '../engine';
import { AlreadyAdded, HttpError } from '../daemon/http-error';
import { sourceFromName } from './add-source';
import { LoginBans, WebSessions } from './auth';
import type { RpcContext } from './context';
import { RpcError } from './errors';
import type { Form } from './form';
import { checkCategoryName, checkTag, splitList } from './labels';
import {
  fromQbPriority,
  qbLimit,
  qbFiles,
  qbPeers,
  qbProperties,
  qbTorrentInfo,
  qbTrackers,
} from './qbittorrent-fields';
import { TorrentView } from './torrent-view';

export const QB_APP_VERSION = 'v5.1.2';
export const QB_WEBAPI_VERSION = '2.11.4';

export interface QbReply {
  status: number;
  body: string;
  type: 'text/plain; charset=UTF-8' | 'application/json';
  headers?: Record<string, string>;
}

/** What `sync/maindata` sent last in one login session, so the next answer is only the changes. */
interface SyncState {
  rid: number;
  torrents: Map<string, Record<string, unknown>>;
  categories: string;
  tags: string[];
  server: Record<string, unknown>;
  peersRid: number;
}

interface LogEntry {
  id: number;
  message: string;
  timestamp: number;
  type: number;
}

const MAX_LOG = 1000;
/**
 * Sessions that keep what they were sent (for rid increments); each copy is the whole list, so
 * only the most recent few do. An evicted one gets a full update next time.
 */
const MAX_SYNC_SNAPSHOTS = 8;

type Endpoint = (form: Form, session: SyncState) => Promise<unknown>;

const ok = (body = ''): QbReply => ({ status: 200, body, type: 'text/plain; charset=UTF-8' });
const text = (status: number, body: string): QbReply => ({
  status,
  body,
  type: 'text/plain; charset=UTF-8',
});

/** The qBittorrent WebAPI v2 (as qBittorrent 5.1 serves it) over the bridge's torrents. */
export class QbApi {
  private readonly sessions = new WebSessions<SyncState>(() => ({
    rid: 0,
    torrents: new Map(),
    categories: '',
    tags: [],
    server: {},
    peersRid: 0,
  }));
  private readonly bans = new LoginBans();
  private readonly snapshots: SyncState[] = [];
  private readonly log: LogEntry[] = [];
  private logId = 0;
  private readonly endpoints: Record<string, { post: boolean; run: Endpoint }>;

  constructor(private readonly ctx: RpcContext) {
    this.note('enjambre started (qBittorrent WebAPI)', 1);
    ctx.bridge.session.on('added', (t) =>
      this.note(`Added torrent: ${t.status().name || t.infoHash}`, 1),
    );
    ctx.bridge.session.on('removed', (hash) => this.note(`Removed torrent: ${hash}`, 1));
    this.endpoints = this.table();
  }

  /** Every login session ends (the credentials changed). */
  logoutAll(): void {
    this.sessions.clear();
    this.snapshots.length = 0;
  }

  /** A live login session: everything but auth/login needs one (checked before reading a body). */
  loggedIn(sid: string | undefined): boolean {
    return this.sessions.get(sid) !== undefined;
  }

  async handle(
    name: string,
    method: string,
    form: Form,
    sid: string | undefined,
    address: string,
  ): Promise<QbReply> {
    if (name === 'auth/login') return this.login(method, form, address);
    const session = this.sessions.get(sid);
    if (!session) return text(403, 'Forbidden');
    if (name === 'auth/logout') {
      const i = this.snapshots.indexOf(session);
      if (i >= 0) this.snapshots.splice(i, 1);
      this.sessions.close(sid);
      return {
        ...ok(),
        headers: { 'set-cookie': 'SID=; HttpOnly; SameSite=Strict; path=/; Max-Age=0' },
      };
    }
    const endpoint = Object.prototype.hasOwnProperty.call(this.endpoints, name)
      ? this.endpoints[name]
      : undefined;
    if (!endpoint) return text(404, 'Not Found');
    if (endpoint.post && method !== 'POST') return text(405, 'Method Not Allowed');
    try {
      const value = await endpoint.run(form, session);
      if (value === undefined) return ok();
      if (typeof value === 'string') return ok(value);
      return { status: 200, body: JSON.stringify(value), type: 'application/json' };
    } catch (err) {
      if (err instanceof RpcError) return text(err.status, err.message);
      if (err instanceof HttpError && err.statusCode < 500)
        return text(err.statusCode, err.message);
      throw err;
    }
  }

  private async login(method: string, form: Form, address: string): Promise<QbReply> {
    if (method !== 'POST') return text(405, 'Method Not Allowed');
    if (this.bans.banned(address)) {
      return text(
        403,
        'Your IP address has been banned after too many failed authentication attempts.',
      );
    }
    const username = form.fields.get('username') ?? '';
    const password = form.fields.get('password') ?? '';
    if (!(await this.ctx.auth.verify(username, password))) {
      this.bans.failed(address);
      return ok('Fails.');
    }
    this.bans.succeeded(address);
    const sid = this.sessions.open();
    return {
      ...ok('Ok.'),
      headers: { 'set-cookie': `SID=${sid}; HttpOnly; SameSite=Strict; path=/` },
    };
  }

  private note(message: string, type: number): void {
    this.log.push({ id: this.logId++, message, timestamp: Math.floor(Date.now() / 1000), type });
    if (this.log.length > MAX_LOG) this.log.shift();
  }

  // ---------- helpers ----------

  private view(t: Torrent): TorrentView {
    return new TorrentView(t, this.ctx);
  }

  /** `hashes=a|b` or `all`; unknown hashes are skipped, as qBittorrent does. */
  private select(form: Form, key = 'hashes'): Torrent[] {
    const value = form.fields.get(key);
    if (value === undefined) throw new RpcError(400, `missing ${key}`);
    const session = this.ctx.bridge.session;
    if (value === 'all') return session.list();
    const out: Torrent[] = [];
    for (const h of value.split('|')) {
      const t = /^[0-9a-fA-F]{40}$/.test(h) ? session.get(h.toLowerCase()) : undefined;
      if (t) out.push(t);
    }
    return out;
  }

  /** One torrent by `hash`; 404 when unknown, as qBittorrent answers. */
  private one(form: Form): Torrent {
    const h = form.fields.get('hash') ?? '';
    const t = /^[0-9a-fA-F]{40}$/.test(h)
      ? this.ctx.bridge.session.get(h.toLowerCase())
      : undefined;
    if (!t) throw new RpcError(404, 'Torrent hash was not found');
    return t;
  }

  private bool(form: Form, key: string): boolean | undefined {
    const v = form.fields.get(key);
    if (v === undefined || v === '') return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new RpcError(400, `${key} must be true or false`);
  }

  private int(form: Form, key: string): number | undefined {
    const v = form.fields.get(key);
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw new RpcError(400, `${key} must be an integer`);
    return Number(v);
  }

  /** `statuses`: every torrent's, when the caller has them already (sync/maindata). */
  private serverState(
    statuses: Iterable<TorrentStatus> = this.ctx.bridge.session.list().map((t) => t.status()),
  ): Record<string, unknown> {
    const s = this.ctx.bridge.settings;
    let down = 0;
    let up = 0;
    let downloaded = 0;
    let uploaded = 0;
    for (const st of statuses) {
      down += st.downloadRate;
      up += st.uploadRate;
      downloaded += st.downloadedTotal;
      uploaded += st.uploadedTotal;
    }
    return {
      alltime_dl: Math.round(downloaded),
      alltime_ul: Math.round(uploaded),
      connection_status: 'connected',
      dht_nodes: this.ctx.bridge.session.discoveryStats().dht?.nodes ?? 0,
      dl_info_data: Math.round(downloaded),
      dl_info_speed: Math.round(down),
      dl_rate_limit: s.downloadRateLimit,
      free_space_on_disk: 0,
      global_ratio: downloaded > 0 ? (uploaded / downloaded).toFixed(2) : '0.00',
      queueing: false,
      refresh_interval: 1500,
      up_info_data: Math.round(uploaded),
      up_info_speed: Math.round(up),
      up_rate_limit: s.uploadRateLimit,
      use_alt_speed_limits: false,
      use_subcategories: false,
    };
  }

  private categoriesObject(): Record<string, { name: string; savePath: string }> {
    const out: Record<string, { name: string; savePath: string }> = {};
    for (const c of this.ctx.labels.listCategories())
      out[c.name] = { name: c.name, savePath: c.savePath };
    return out;
  }

  private preferences(): Record<string, unknown> {
    const s = this.ctx.bridge.settings;
    return {
      add_stopped_enabled: false,
      add_trackers: '',
      add_trackers_enabled: false,
      alt_dl_limit: 0,
      alt_up_limit: 0,
      anonymous_mode: false,
      auto_delete_mode: 0,
      auto_tmm_enabled: false,
      bypass_local_auth: false,
      create_subfolder_enabled: true,
      dht: s.dhtEnabled,
      dl_limit: s.downloadRateLimit,
      dont_count_slow_torrents: false,
      encryption: 0,
      export_dir: '',
      incomplete_files_ext: false,
      listen_port: this.ctx.bridge.session.port,
      locale: 'en',
      lsd: s.lsdEnabled,
      max_active_downloads: -1,
      max_active_torrents: -1,
      max_active_uploads: -1,
      max_connec: s.maxPeers,
      max_connec_per_torrent: 50,
      max_ratio: -1,
      max_ratio_act: 0,
      max_ratio_enabled: false,
      max_seeding_time: -1,
      max_seeding_time_enabled: false,
      pex: true,
      preallocate_all: false,
      queueing_enabled: false,
      save_path: s.downloadDir,
      start_paused_enabled: false,
      temp_path: s.downloadDir,
      temp_path_enabled: false,
      torrent_content_layout: 'Original',
      torrent_stop_condition: 'None',
      up_limit: s.uploadRateLimit,
      upnp: false,
      use_category_paths_in_manual_mode: false,
      web_ui_address: '127.0.0.1',
      web_ui_port: 0,
      web_ui_username: this.ctx.auth.username ?? '',
    };
  }

  private async add(form: Form): Promise<string> {
    const sources: TorrentSource[] = [];
    for (const f of form.files) sources.push({ torrent: f.data });
    for (const line of (form.fields.get('urls') ?? '').split('\n')) {
      if (line.trim() === '') continue;
      sources.push(await sourceFromName(line, this.ctx.folders));
    }
    if (sources.length === 0) throw new RpcError(400, 'no torrents or urls given');
    const category = form.fields.get('category') ?? '';
    if (category !== '') checkCategoryName(category);
    const tags = splitList(form.fields.get('tags'));
    tags.forEach(checkTag);
    const savepath = form.fields.get('savepath') ?? '';
    const savePath =
      savepath !== '' ? savepath : (this.ctx.labels.category(category)?.savePath ?? '');
    const downloadDir =
      savePath === '' ? undefined : await this.ctx.folders.downloadFolder(savePath);
    const paused = this.bool(form, 'stopped') ?? this.bool(form, 'paused') ?? false;
    const sequential = this.bool(form, 'sequentialDownload') ?? false;
    if (category !== '') await this.ctx.labels.ensureCategory(category);
    if (tags.length > 0) await this.ctx.labels.addTags(tags);
    let added = 0;
    for (const source of sources) {
      try {
        const t = await this.ctx.bridge.add({
          source,
          downloadDir,
          paused,
          sequential,
          ...(category !== '' ? { category } : {}),
          ...(tags.length > 0 ? { tags } : {}),
        });
        this.ctx.ids.touch(t.infoHash);
        added++;
      } catch (err) {
        if (!(err instanceof AlreadyAdded) && !(err instanceof HttpError && err.statusCode < 500)) {
          throw err;
        }
        this.note(`Could not add a torrent: ${(err as Error).message}`, 4);
      }
    }
    return added > 0 ? 'Ok.' : 'Fails.';
  }

  private async maindata(form: Form, session: SyncState): Promise<object> {
    const rid = this.int(form, 'rid') ?? 0;
    const now = Math.floor(Date.now() / 1000);
    const torrents = new Map<string, Record<string, unknown>>();
    const statuses: TorrentStatus[] = [];
    for (const t of this.ctx.bridge.session.list()) {
      const v = this.view(t);
      statuses.push(v.status);
      torrents.set(t.infoHash, qbTorrentInfo(v, now));
    }
    const categories = this.categoriesObject();
    const categoriesJson = JSON.stringify(categories);
    const tags = this.ctx.labels.listTags();
    const server = this.serverState(statuses);
    const incremental = rid > 0 && rid === session.rid;
    const out: Record<string, unknown> = { rid: session.rid + 1 };
    if (!incremental) {
      out.full_update = true;
      out.torrents = Object.fromEntries(torrents);
      out.categories = categories;
      out.tags = tags;
      out.server_state = server;
      out.trackers = {};
    } else {
      const changed: Record<string, Record<string, unknown>> = {};
      for (const [hash, info] of torrents) {
        const before = session.torrents.get(hash);
        const diff = before ? changedFields(before, info) : info;
        if (diff) changed[hash] = diff;
      }
      if (Object.keys(changed).length > 0) out.torrents = changed;
      const removed = [...session.torrents.keys()].filter((h) => !torrents.has(h));
      if (removed.length > 0) out.torrents_removed = removed;
      const before = JSON.parse(session.categories || '{}') as Record<string, { savePath: string }>;
      const changedCategories = Object.fromEntries(
        Object.entries(categories).filter(([n, c]) => before[n]?.savePath !== c.savePath),
      );
      if (Object.keys(changedCategories).length > 0) out.categories = changedCategories;
      const gone = Object.keys(before).filter((c) => !Object.hasOwn(categories, c));
      if (gone.length > 0) out.categories_removed = gone;
      const addedTags = tags.filter((t) => !session.tags.includes(t));
      const removedTags = session.tags.filter((t) => !tags.includes(t));
      if (addedTags.length > 0) out.tags = addedTags;
      if (removedTags.length > 0) out.tags_removed = removedTags;
      const serverDiff = changedFields(session.server, server);
      if (serverDiff) out.server_state = serverDiff;
    }
    session.rid += 1;
    this.keepSnapshot(session);
    session.torrents = torrents;
    session.categories = categoriesJson;
    session.tags = tags;
    session.server = server;
    return out;
  }

  private keepSnapshot(session: SyncState): void {
    const i = this.snapshots.indexOf(session);
    if (i >= 0) this.snapshots.splice(i, 1);
    this.snapshots.push(session);
    if (this.snapshots.length > MAX_SYNC_SNAPSHOTS) {
      const evicted = this.snapshots.shift()!;
      evicted.torrents = new Map();
      // A rid it never sent: its next call gets a full update.
      evicted.rid += 1_000_000;
    }
  }

  private info(form: Form): object[] {
    const f = form.fields;
    let list = this.ctx.bridge.session.list();
    const hashes = f.get('hashes');
    if (hashes !== undefined) {
      const want = new Set(hashes.toLowerCase().split('|'));
      list = list.filter((t) => want.has(t.infoHash));
    }
    const now = Math.floor(Date.now() / 1000);
    let rows = list.map((t) => qbTorrentInfo(this.view(t), now));
    const filter = f.get('filter') ?? 'all';
    rows = rows.filter((r) => matchesFilter(filter, r));
    const category = f.get('category');
    if (category !== undefined) rows = rows.filter((r) => r.category === category);
    const tag = f.get('tag');
    if (tag !== undefined) {
      rows = rows.filter((r) =>
        tag === '' ? r.tags === '' : (r.tags as string).split(', ').includes(tag),
      );
    }
    const sort = f.get('sort');
    if (sort !== undefined && rows.length > 0 && Object.hasOwn(rows[0], sort)) {
      rows.sort((a, b) => compare(a[sort], b[sort]));
    }
    if (this.bool(form, 'reverse')) rows.reverse();
    const offset = this.int(form, 'offset') ?? 0;
    const limit = this.int(form, 'limit') ?? 0;
    const start = offset < 0 ? Math.max(0, rows.length + offset) : offset;
    return limit > 0 ? rows.slice(start, start + limit) : rows.slice(start);
  }

  private async forEach(form: Form, fn: (t: Torrent) => Promise<unknown>): Promise<undefined> {
    for (const t of this.select(form)) {
      await fn(t);
      this.ctx.ids.touch(t.infoHash);
    }
    return undefined;
  }

  private table(): Record<string, { post: boolean; run: Endpoint }> {
    const ctx = this.ctx;
    const bridge = ctx.bridge;
    const get = (run: Endpoint) => ({ post: false, run });
    const post = (run: Endpoint) => ({ post: true, run });
    const start = post((f) => this.forEach(f, (t) => bridge.resume(t.infoHash)));
    const stop = post((f) => this.forEach(f, (t) => bridge.pause(t.infoHash)));
    const move = (where: 'top' | 'up' | 'down' | 'bottom') =>
      post(async (f) => {
        ctx.ids.move(
          this.select(f).map((t) => t.infoHash),
          where,
        );
        return undefined;
      });
    return {
      'app/version': get(async () => QB_APP_VERSION),
      'app/webapiVersion': get(async () => QB_WEBAPI_VERSION),
      'app/buildInfo': get(async () => ({
        bitness: 64,
        boost: '',
        libtorrent: `enjambre ${ctx.version}`,
        openssl: process.versions.openssl,
        platform: process.platform,
        qt: '',
        zlib: process.versions.zlib,
      })),
      'app/preferences': get(async () => this.preferences()),
      'app/setPreferences': post(async (f) => {
        const raw = f.fields.get('json');
        if (raw === undefined) throw new RpcError(400, 'missing json');
        let prefs: Record<string, unknown>;
        try {
          prefs = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          throw new RpcError(400, 'json is not valid JSON');
        }
        if (typeof prefs !== 'object' || prefs === null)
          throw new RpcError(400, 'json must be an object');
        const next = { ...bridge.settings };
        if (typeof prefs.save_path === 'string') {
          next.downloadDir = await ctx.folders.downloadFolder(prefs.save_path);
        }
        for (const [key, setting] of [
          ['dl_limit', 'downloadRateLimit'],
          ['up_limit', 'uploadRateLimit'],
        ] as const) {
          const v = prefs[key];
          if (v === undefined) continue;
          if (typeof v !== 'number' || !Number.isInteger(v))
            throw new RpcError(400, `${key} must be an integer`);
          next[setting] = Math.max(0, v);
        }
        if (prefs.max_connec !== undefined) {
          const v = prefs.max_connec;
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
            throw new RpcError(400, 'max_connec must be a positive integer');
          }
          next.maxPeers = v;
        }
        await bridge.setSettings(next);
        return undefined;
      }),
      'app/defaultSavePath': get(async () => bridge.settings.downloadDir),
      'transfer/info': get(async () => {
        const s = this.serverState();
        return {
          connection_status: s.connection_status,
          dht_nodes: s.dht_nodes,
          dl_info_data: s.dl_info_data,
          dl_info_speed: s.dl_info_speed,
          dl_rate_limit: s.dl_rate_limit,
          up_info_data: s.up_info_data,
          up_info_speed: s.up_info_speed,
          up_rate_limit: s.up_rate_limit,
        };
      }),
      'log/main': get(async (f) => {
        const last = this.int(f, 'last_known_id') ?? -1;
        return this.log.filter((e) => e.id > last);
      }),
      'sync/maindata': get((f, s) => this.maindata(f, s)),
      'sync/torrentPeers': get(async (f, s) => {
        const t = this.one(f);
        s.peersRid += 1;
        return {
          full_update: true,
          peers: qbPeers(this.view(t)),
          rid: s.peersRid,
          show_flags: true,
        };
      }),
      'torrents/info': get(async (f) => this.info(f)),
      'torrents/properties': get(async (f) =>
        qbProperties(this.view(this.one(f)), Math.floor(Date.now() / 1000)),
      ),
      'torrents/files': get(async (f) => {
        const files = qbFiles(this.view(this.one(f)));
        const indexes = f.fields.get('indexes');
        if (indexes === undefined) return files;
        const want = new Set(indexes.split('|').map(Number));
        return files.filter((x) => want.has((x as { index: number }).index));
      }),
      'torrents/trackers': get(async (f) => qbTrackers(this.view(this.one(f)))),
      'torrents/webseeds': get(async (f) =>
        this.one(f)
          .status()
          .webSeeds.map((w) => ({ url: w.url })),
      ),
      'torrents/pieceStates': get(async (f) => {
        const t = this.one(f);
        const bits = t.bitfield();
        const n = t.status().pieceCount;
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = (bits[i >> 3] >> (7 - (i & 7))) & 1 ? 2 : 0;
        return out;
      }),
      'torrents/pieceHashes': get(async () => []),
      'torrents/add': post((f) => this.add(f)),
      'torrents/start': start,
      'torrents/resume': start,
      'torrents/stop': stop,
      'torrents/pause': stop,
      'torrents/delete': post(async (f) => {
        const deleteFiles = this.bool(f, 'deleteFiles') ?? false;
        for (const t of this.select(f)) await bridge.remove(t.infoHash, deleteFiles);
        return undefined;
      }),
      'torrents/recheck': post((f) =>
        this.forEach(f, async (t) => {
          t.recheck().catch((err: unknown) =>
            ctx.log.warn({ infoHash: t.infoHash, err: String(err) }, 'recheck failed'),
          );
        }),
      ),
      // The engine announces on its own schedule and has no "announce now".
      'torrents/reannounce': post((f) => this.forEach(f, async (t) => t.reannounce())),
      'torrents/setLocation': post(async (f) => {
        const location = f.fields.get('location') ?? '';
        if (location === '') throw new RpcError(400, 'missing location');
        const dir = await ctx.folders.downloadFolder(location);
        return this.forEach(f, (t) => bridge.relocate(t.infoHash, dir, true));
      }),
      'torrents/filePrio': post(async (f) => {
        const t = this.one(f);
        const priority = fromQbPriority(this.int(f, 'priority') ?? -1);
        if (priority === undefined) throw new RpcError(400, 'priority must be 0, 1, 6 or 7');
        const ids = (f.fields.get('id') ?? '').split('|');
        const count = t.files().length;
        if (count === 0) throw new RpcError(409, 'the torrent has no metadata yet');
        for (const id of ids) {
          if (!/^\d+$/.test(id) || Number(id) >= count) throw new RpcError(409, `no file ${id}`);
        }
        for (const id of ids) await bridge.setFilePriority(t.infoHash, Number(id), priority);
        return undefined;
      }),
      'torrents/categories': get(async () => this.categoriesObject()),
      'torrents/createCategory': post(async (f) => {
        await ctx.labels.putCategory(f.fields.get('category') ?? '', await this.savePath(f), true);
        return undefined;
      }),
      'torrents/editCategory': post(async (f) => {
        await ctx.labels.putCategory(f.fields.get('category') ?? '', await this.savePath(f), false);
        return undefined;
      }),
      'torrents/removeCategories': post(async (f) => {
        const names = (f.fields.get('categories') ?? '').split('\n').filter((n) => n !== '');
        await ctx.labels.removeCategories(names);
        for (const t of bridge.session.list()) {
          const c = bridge.record(t.infoHash)?.category;
          if (c !== undefined && names.includes(c))
            await bridge.setLabels(t.infoHash, { category: undefined });
        }
        return undefined;
      }),
      'torrents/setCategory': post(async (f) => {
        const category = f.fields.get('category') ?? '';
        if (category !== '' && !ctx.labels.category(category)) {
          throw new RpcError(409, 'Incorrect category name');
        }
        return this.forEach(f, (t) =>
          bridge.setLabels(t.infoHash, { category: category === '' ? undefined : category }),
        );
      }),
      'torrents/tags': get(async () => ctx.labels.listTags()),
      'torrents/createTags': post(async (f) => {
        await ctx.labels.addTags(splitList(f.fields.get('tags')));
        return undefined;
      }),
      'torrents/deleteTags': post(async (f) => {
        const gone = splitList(f.fields.get('tags'));
        await ctx.labels.removeTags(gone);
        for (const t of bridge.session.list()) {
          const tags = bridge.record(t.infoHash)?.tags;
          if (tags && tags.some((x) => gone.includes(x))) {
            const rest = tags.filter((x) => !gone.includes(x));
            await bridge.setLabels(t.infoHash, { tags: rest.length > 0 ? rest : undefined });
          }
        }
        return undefined;
      }),
      'torrents/addTags': post(async (f) => {
        const tags = splitList(f.fields.get('tags'));
        await ctx.labels.addTags(tags);
        return this.forEach(f, async (t) => {
          const now = bridge.record(t.infoHash)?.tags ?? [];
          await bridge.setLabels(t.infoHash, { tags: [...new Set([...now, ...tags])] });
        });
      }),
      'torrents/removeTags': post(async (f) => {
        const tags = splitList(f.fields.get('tags'));
        return this.forEach(f, async (t) => {
          const now = bridge.record(t.infoHash)?.tags ?? [];
          const rest = tags.length === 0 ? [] : now.filter((x) => !tags.includes(x));
          await bridge.setLabels(t.infoHash, { tags: rest.length > 0 ? rest : undefined });
        });
      }),
      'torrents/setShareLimits': post(async (f) => {
        const raw = f.fields.get('ratioLimit');
        const ratio = raw === undefined ? -2 : Number(raw);
        if (!Number.isFinite(ratio) || (ratio < 0 && ratio !== -1 && ratio !== -2)) {
          throw new RpcError(400, 'ratioLimit must be >= 0, -1 (none) or -2 (global)');
        }
        await this.forEach(f, (t) =>
          bridge.setLabels(t.infoHash, { seedRatioLimit: ratio >= 0 ? ratio : undefined }),
        );
        ctx.enforceRatios();
        return undefined;
      }),
      'torrents/setUploadLimit': post((f) => this.setLimit(f, 'upload')),
      'torrents/setDownloadLimit': post((f) => this.setLimit(f, 'download')),
      'torrents/uploadLimit': post(async (f) => this.limits(f, 'upload')),
      'torrents/downloadLimit': post(async (f) => this.limits(f, 'download')),
      'torrents/setForceStart': post(async (f) => {
        if (this.bool(f, 'value') !== true) return undefined;
        return this.forEach(f, (t) => bridge.resume(t.infoHash));
      }),
      'torrents/setSuperSeeding': post(async (f) => {
        const on = this.bool(f, 'value');
        if (on === undefined) throw new RpcError(400, 'value must be true or false');
        return this.forEach(f, (t) => bridge.setSuperSeeding(t.infoHash, on));
      }),
      'torrents/toggleSequentialDownload': post((f) =>
        this.forEach(f, (t) => bridge.setSequential(t.infoHash, !t.status().sequential)),
      ),
      'torrents/topPrio': move('top'),
      'torrents/bottomPrio': move('bottom'),
      'torrents/increasePrio': move('up'),
      'torrents/decreasePrio': move('down'),
      'app/getFreeSpaceAtPath': get(async (f) => {
        const dir = await ctx.folders.downloadFolder(f.fields.get('path') ?? '');
        const st = await statfs(dir).catch(() => undefined);
        return String(st ? st.bavail * st.bsize : -1);
      }),
    };
  }

  /** qBittorrent's per-torrent limit: bytes per second, 0 or less for none. */
  private async setLimit(f: Form, dirn: 'upload' | 'download'): Promise<undefined> {
    const limit = Number(f.fields.get('limit') ?? '');
    if (!Number.isFinite(limit)) throw new RpcError(400, 'limit must be a number of bytes/s');
    return this.forEach(f, (t) =>
      this.ctx.bridge.setRateLimits(t.infoHash, {
        [`${dirn}Limit`]: limit > 0 ? Math.round(limit) : 0,
        [`${dirn}Limited`]: limit > 0,
      }),
    );
  }

  private limits(f: Form, dirn: 'upload' | 'download'): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.select(f))
      out[t.infoHash] = qbLimit(this.ctx.bridge.record(t.infoHash), dirn);
    return out;
  }

  private async savePath(f: Form): Promise<string> {
    const p = f.fields.get('savePath') ?? '';
    return p === '' ? '' : this.ctx.folders.downloadFolder(p);
  }
}

/** The fields of `next` that differ from `before`; undefined when none do. */
function changedFields(
  before: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(next)) {
    if (before[k] !== next[k]) (out ??= {})[k] = next[k];
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

const ACTIVE = new Set(['downloading', 'uploading', 'metaDL', 'forcedDL', 'forcedUP']);

function matchesFilter(filter: string, r: Record<string, unknown>): boolean {
  const state = r.state as string;
  const done = r.amount_left === 0 && (r.total_size as number) > 0;
  switch (filter) {
    case 'all':
      return true;
    case 'downloading':
      return /DL$|^downloading$/.test(state) && !state.startsWith('stopped');
    case 'seeding':
      return /UP$|^uploading$/.test(state) && !state.startsWith('stopped');
    case 'completed':
      return done;
    case 'paused':
    case 'stopped':
      return state.startsWith('stopped');
    case 'resumed':
    case 'running':
      return !state.startsWith('stopped');
    case 'active':
      return ACTIVE.has(state);
    case 'inactive':
      return !ACTIVE.has(state);
    case 'stalled':
      return state === 'stalledUP' || state === 'stalledDL';
    case 'stalled_uploading':
      return state === 'stalledUP';
    case 'stalled_downloading':
      return state === 'stalledDL';
    case 'checking':
      return state.startsWith('checking');
    case 'moving':
      return state === 'moving';
    case 'errored':
      return state === 'error' || state === 'missingFiles';
    default:
      throw new RpcError(400, `unknown filter: ${filter.slice(0, 40)}`);
  }
}
