/**
 * A daemon with a few seeding torrents: the list pages and selects fields, and the WebSocket
 * sends every torrent once, then only the torrents that changed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createTorrentFromPath, TorrentStatus } from '@enjambre/engine';
import type { RunningDaemon } from '@enjambre/bridge';
import { api, removeDir, tempDir, testDaemon, waitFor } from './helpers';

jest.setTimeout(60_000);

let root: string;
let d: RunningDaemon;
let A: ReturnType<typeof api>;
const hashes: string[] = [];

beforeAll(async () => {
  root = await tempDir('bridge-listing');
  d = await testDaemon(join(root, 'daemon'));
  A = api(d);
  const downloads = join(root, 'daemon', 'downloads');
  for (let i = 0; i < 5; i++) {
    const file = join(downloads, `file-${i}.bin`);
    await writeFile(file, Buffer.alloc(1000 + i, i + 1));
    const t = await createTorrentFromPath(file, { announce: [['http://127.0.0.1:9/announce']] });
    const res = await A.post<TorrentStatus>('/api/torrents', {
      torrent: Buffer.from(t.torrent).toString('base64'),
    });
    expect(res.status).toBe(201);
    hashes.push(res.body.infoHash);
  }
  await waitFor('all seeding', async () => {
    const list = (await A.get<TorrentStatus[]>('/api/torrents')).body;
    return list.every((t) => t.state === 'seeding') ? true : undefined;
  });
});
afterAll(async () => {
  await d?.close();
  await removeDir(root);
});

test('the list pages in the order torrents were added, and says how long it is', async () => {
  const all = await A.get<TorrentStatus[]>('/api/torrents');
  expect(all.body.map((t) => t.infoHash)).toEqual(hashes);
  expect(all.headers.get('x-total-count')).toBe('5');
  const middle = await A.get<TorrentStatus[]>('/api/torrents?offset=1&limit=2');
  expect(middle.body.map((t) => t.infoHash)).toEqual(hashes.slice(1, 3));
  expect(middle.headers.get('x-total-count')).toBe('5');
  expect((await A.get<TorrentStatus[]>('/api/torrents?offset=9')).body).toEqual([]);
  expect((await A.get('/api/torrents?offset=-1')).status).toBe(400);
  expect((await A.get('/api/torrents?limit=x')).status).toBe(400);
});

test('fields selects what each status carries; an unknown field is a 400 that names it', async () => {
  const res = await A.get<Array<Record<string, unknown>>>(
    '/api/torrents?fields=infoHash,state,progress&limit=2',
  );
  expect(res.status).toBe(200);
  expect(res.body).toEqual(
    hashes.slice(0, 2).map((infoHash) => ({ infoHash, state: 'seeding', progress: 1 })),
  );
  const bad = await A.get<{ error: string }>('/api/torrents?fields=infoHash,password');
  expect(bad.status).toBe(400);
  expect(bad.body.error).toMatch(/unknown field password/);
});

test('the WebSocket sends every torrent first, then only the torrent that changed', async () => {
  const messages: Array<{ type: string; torrents?: TorrentStatus[] }> = [];
  const ws = new WebSocket(`ws://127.0.0.1:${d.apiPort}/api/ws?token=${d.token}`);
  ws.on('message', (m) => messages.push(JSON.parse(m.toString())));
  try {
    await waitFor('the first message', () => (messages.length > 0 ? true : undefined));
    expect(messages[0].type).toBe('torrents');
    expect(messages[0].torrents!.map((t) => t.infoHash).sort()).toEqual([...hashes].sort());
    const seen = messages.length;
    expect((await A.post(`/api/torrents/${hashes[3]}/pause`)).status).toBe(200);
    const update = await waitFor('the pause pushed', () =>
      messages
        .slice(seen)
        .find((m) => m.type === 'torrents' && m.torrents!.some((t) => t.state === 'paused')),
    );
    expect(update.torrents!.map((t) => t.infoHash)).toEqual([hashes[3]]);
  } finally {
    ws.close();
  }
});

test('the first WebSocket message is compressed for a client that offers permessage-deflate', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${d.apiPort}/api/ws?token=${d.token}`, {
    perMessageDeflate: true,
  });
  try {
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('message', (m: Buffer) => resolve(m));
    });
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const body = JSON.parse(first.toString()) as { torrents: TorrentStatus[] };
    expect(body.torrents).toHaveLength(hashes.length);
    // the upgrade answer and the frame together are smaller than the message's JSON
    const wire = (ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
    expect(wire).toBeLessThan(first.length);
  } finally {
    ws.close();
  }
});
