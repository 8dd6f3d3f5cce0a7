import { randomBytes, createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTorrent } from '@enjambre/bittorrent';
import { Session, type SessionOptions, type Torrent } from '@enjambre/engine';
import { removeDir, tempDir } from '../peers/util';

export { removeDir, tempDir };

export interface FileSpec {
  path: string[];
  size: number;
}

export interface TestTorrent {
  torrent: Buffer;
  infoHash: string;
  files: Array<{ path: string[]; data: Buffer }>;
}

/** Writes random files under `dir/name` (multi-file) or `dir/name` (single) and makes a .torrent. */
export async function makeTorrent(
  dir: string,
  name: string,
  specs: FileSpec[] | number,
  opts: { pieceLength?: number; announce?: string[]; private?: boolean; urlList?: string[] } = {},
): Promise<TestTorrent> {
  const single = typeof specs === 'number';
  const list: FileSpec[] = single ? [{ path: [name], size: specs }] : specs;
  const files = list.map((s) => ({ path: s.path, data: randomBytes(s.size) }));
  for (const f of files) {
    const p = single ? path.join(dir, name) : path.join(dir, name, ...f.path);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, f.data);
  }
  const common = {
    name,
    pieceLength: opts.pieceLength ?? 64 * 1024,
    announce: opts.announce?.map((u) => [u]),
    private: opts.private,
    urlList: opts.urlList,
  };
  const input = single
    ? { ...common, length: files[0].data.length }
    : { ...common, files: files.map((f) => ({ path: f.path, length: f.data.length })) };
  const created = await createTorrent(
    input,
    files.map((f) => f.data),
  );
  return { torrent: created.torrent, infoHash: created.metainfo.infoHash, files };
}

/**
 * The scaffolding every engine test file shares: a fresh temp folder per test (`root`) and the
 * sessions the test started (push them to `sessions`), all closed and removed after it.
 */
export function sessionWorkspace(prefix: string): { readonly root: string; sessions: Session[] } {
  const ws = { root: '', sessions: [] as Session[] };
  beforeEach(async () => {
    ws.root = await tempDir(prefix);
  });
  afterEach(async () => {
    await Promise.all(ws.sessions.splice(0).map((s) => s.close()));
    await removeDir(ws.root);
  });
  return ws;
}

export async function startSession(
  root: string,
  extra: Partial<SessionOptions> = {},
): Promise<Session> {
  const s = new Session({
    dataDir: path.join(root, 'data'),
    downloadDir: path.join(root, 'dl'),
    listenHost: '127.0.0.1',
    ...extra,
  });
  await s.start();
  return s;
}

/** Asserts every file of `t` is on disk under `dir` with the same bytes. */
export async function expectSameFiles(
  t: TestTorrent,
  dir: string,
  name: string,
  single = false,
): Promise<void> {
  for (const f of t.files) {
    const p = single ? path.join(dir, name) : path.join(dir, name, ...f.path);
    const got = await readFile(p);
    if (!got.equals(f.data)) {
      throw new Error(`${p} differs: sha1 ${sha1(got)} vs ${sha1(f.data)}`);
    }
  }
}

export function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

/** Resolves when the torrent is done, or rejects with its state after `ms`. */
export async function waitDone(t: Torrent, ms = 90_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      t.whenDone(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`not done after ${ms} ms: ${JSON.stringify(t.status())}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
