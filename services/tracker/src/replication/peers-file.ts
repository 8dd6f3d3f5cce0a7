/**
 * The other replicas, from the peers file a Kubernetes ConfigMap mounts, in the original format
 * `{"host:port": {"ip": "...", "port": N}, ...}`. The file is polled (content, not mtime: a
 * ConfigMap update swaps a symlink and keeps old mtimes), so replicas come and go without restarts.
 */
import { readFile } from 'node:fs/promises';

export interface PeerAddress {
  /** The key in the file ("host:port"). */
  name: string;
  /** Host name or address to dial. */
  host: string;
  port: number;
}

const MAX_FILE_BYTES = 1 << 20;
const MAX_PEERS = 1024;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[?[0-9A-Fa-f:.]+\]?$/;

/** Parses the peers file; throws with a clear message on anything malformed. */
export function parsePeersFile(text: string): PeerAddress[] {
  if (text.length > MAX_FILE_BYTES) throw new Error('peers file is larger than 1 MiB');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`peers file is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('peers file must be an object {"host:port": {"ip": "...", "port": N}}');
  }
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length > MAX_PEERS)
    throw new Error(`peers file lists more than ${MAX_PEERS} replicas`);
  const out: PeerAddress[] = [];
  for (const [name, value] of entries) {
    const v = value as { ip?: unknown; port?: unknown } | null;
    if (v === null || typeof v !== 'object')
      throw new Error(`peers file entry ${name} is not an object`);
    if (typeof v.ip !== 'string' || !HOST.test(v.ip)) {
      throw new Error(`peers file entry ${name} has no valid "ip"`);
    }
    if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) {
      throw new Error(`peers file entry ${name} has no valid "port"`);
    }
    out.push({ name, host: v.ip.replace(/^\[|\]$/g, ''), port: v.port });
  }
  return out;
}

/** "host:port" for dialing, with brackets around IPv6 literals. */
export function dialTarget(p: Pick<PeerAddress, 'host' | 'port'>): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

/**
 * Calls `onChange` with the parsed list at start and whenever the file's content changes. A file
 * that is missing or malformed keeps the last good list (and is reported through `onError`).
 */
export class PeersFileWatcher {
  private timer: NodeJS.Timeout | null = null;
  private lastText: string | null = null;
  private lastError = '';
  private reading = false;

  constructor(
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly onChange: (peers: PeerAddress[]) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the file now (tests and the interval call it). */
  async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const text = await readFile(this.path, 'utf8');
      if (text === this.lastText) return;
      const peers = parsePeersFile(text);
      this.lastText = text;
      this.lastError = '';
      this.onChange(peers);
    } catch (err) {
      // Report each distinct problem once, not every poll.
      const message = (err as Error).message;
      if (message !== this.lastError) this.onError(err as Error);
      this.lastError = message;
    } finally {
      this.reading = false;
    }
  }
}
