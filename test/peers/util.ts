// Small utilities shared by the real-client harness: ports, temp dirs, test data, torrents, waiting.
// Test-only code: nothing under packages/ or services/ may import it.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A port that was free for both TCP and UDP on 127.0.0.1 a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    // Trackers and clients bind UDP on the same number, so make sure that is free as well.
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('freePort: no port free for both TCP and UDP after 20 attempts');
}

/** A fresh directory under os.tmpdir(); removed by `removeDir` (or by the registry's cleanup). */
export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `enjambre-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

export interface TestFile {
  path: string;
  size: number;
  sha1: string;
}

/**
 * Writes `size` deterministic pseudo-random bytes to `filePath` (AES-128-CTR keystream keyed by
 * `seed`, so it runs at GB/s and the same seed always gives the same bytes). Parent folders are
 * created. Returns the file's SHA-1 so tests can verify a download without re-reading the source.
 */
export async function makeTestData(
  filePath: string,
  size: number,
  seed: string,
): Promise<TestFile> {
  await fs.mkdir(path.dirname(filePath), { recursive: true });
  const key = createHash('sha256').update(`enjambre-test-data:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const hash = createHash('sha1');
  const chunk = Buffer.alloc(1 << 20);
  const handle = await fs.open(filePath, 'w');
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(chunk.length, size - written);
      const bytes = cipher.update(chunk.subarray(0, n));
      hash.update(bytes);
      await handle.write(bytes, 0, bytes.length);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return { path: filePath, size, sha1: hash.digest('hex') };
}

/** SHA-1 (hex) of a file's whole content, streamed. */
export async function sha1File(filePath: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Thrown by a `waitFor` predicate to stop waiting at once (e.g. the program exited). */
export class GiveUp extends Error {}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `timeoutMs` passes,
 * then rejects with `what` in the message. Exceptions from the predicate count as "not yet",
 * except `GiveUp`, which rejects at once.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  what = 'condition',
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (true) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      if (error instanceof GiveUp) throw new Error(`waitFor: ${what}: ${error.message}`);
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor: ${what} not reached within ${timeoutMs} ms${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface MakeTorrentOptions {
  /** Announce URLs; each inner array is one BEP 12 tier. A plain string list is one URL per tier. */
  announce: string[] | string[][];
  /** Piece length in bytes, a power of two from 16 KiB (default 256 KiB). */
  pieceLength?: number;
  /** Where to write the .torrent (default: next to `target`, `<name>.torrent`). */
  output?: string;
  private?: boolean;
  name?: string;
}

export interface MadeTorrent {
  torrentFile: string;
  /** Lower-case hex info-hash (what opentracker's whitelist and the peers' JSON use). */
  infoHash: string;
  name: string;
}

/** Creates a .torrent for a file or folder with Debian's mktorrent (independent of our own code). */
export async function makeTorrent(
  target: string,
  options: MakeTorrentOptions,
): Promise<MadeTorrent> {
  const pieceLength = options.pieceLength ?? 256 * 1024;
  const exponent = Math.log2(pieceLength);
  if (!Number.isInteger(exponent) || exponent < 14 || exponent > 28) {
    throw new Error(
      `makeTorrent: piece length ${pieceLength} is not a power of two in 16 KiB..256 MiB`,
    );
  }
  const name = options.name ?? path.basename(target);
  const output = options.output ?? path.join(path.dirname(target), `${name}.torrent`);
  const args = ['-l', String(exponent), '-n', name, '-o', output, '-t', '1', '-d'];
  for (const tier of options.announce) {
    args.push('-a', Array.isArray(tier) ? tier.join(',') : tier);
  }
  if (options.private) args.push('-p');
  await fs.rm(output, { force: true }); // mktorrent refuses to overwrite
  args.push(target);
  await execFileAsync('mktorrent', args);
  return { torrentFile: output, infoHash: infoHashOf(await fs.readFile(output)), name };
}

/** Hex SHA-1 of the bencoded `info` value of a .torrent. */
export function infoHashOf(torrent: Buffer): string {
  if (torrent[0] !== 0x64) throw new Error('infoHashOf: not a bencoded dictionary');
  let at = 1;
  while (torrent[at] !== 0x65) {
    const keyEnd = skipValue(torrent, at);
    const key = torrent.subarray(torrent.indexOf(0x3a, at) + 1, keyEnd).toString('latin1');
    const valueEnd = skipValue(torrent, keyEnd);
    if (key === 'info')
      return createHash('sha1').update(torrent.subarray(keyEnd, valueEnd)).digest('hex');
    at = valueEnd;
  }
  throw new Error('infoHashOf: no info dictionary');
}

/** Offset just past the bencoded value starting at `at` (trusted input: mktorrent output). */
function skipValue(data: Buffer, at: number): number {
  const c = data[at];
  if (c === 0x69) return data.indexOf(0x65, at) + 1; // i...e
  if (c === 0x6c || c === 0x64) {
    at++;
    while (data[at] !== 0x65) at = skipValue(data, at);
    return at + 1;
  }
  if (c === undefined || c < 0x30 || c > 0x39) throw new Error(`infoHashOf: bad bencode at ${at}`);
  const colon = data.indexOf(0x3a, at);
  return colon + 1 + Number(data.subarray(at, colon).toString('latin1'));
}

/** A magnet link (BEP 9) for an info-hash, with optional display name and trackers. */
export function magnetOf(
  infoHash: string,
  options: { name?: string; trackers?: string[] } = {},
): string {
  let link = `magnet:?xt=urn:btih:${infoHash}`;
  if (options.name) link += `&dn=${encodeURIComponent(options.name)}`;
  for (const tracker of options.trackers ?? []) link += `&tr=${encodeURIComponent(tracker)}`;
  return link;
}
