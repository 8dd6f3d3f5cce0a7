import { Dht, type DhtOptions } from '@enjambre/engine';
import type { ManagedProcess } from '../peers/process';

/** Starts `n` of our DHT nodes, each on its own loopback address 127.0.<net>.<10+i>, joined in a chain. */
export async function startNetwork(
  n: number,
  net: number,
  opts: Partial<DhtOptions> = {},
): Promise<Dht[]> {
  const nodes: Dht[] = [];
  for (let i = 0; i < n; i++) {
    const bootstrap =
      i === 0
        ? []
        : [`127.0.${net}.10:${nodes[0].port}`, `127.0.${net}.${9 + i}:${nodes[i - 1].port}`];
    const d = new Dht({ host: `127.0.${net}.${10 + i}`, bootstrap, queryTimeoutMs: 1000, ...opts });
    await d.start();
    nodes.push(d);
  }
  // a second round so the early nodes learn of the later ones
  await Promise.all(nodes.map((d) => d.bootstrap()));
  return nodes;
}

export async function closeAll(nodes: Dht[]): Promise<void> {
  await Promise.all(nodes.map((d) => d.close()));
}

export interface JsonLine {
  type: string;
  [k: string]: unknown;
}

/** The JSON lines a child prints, collected as they come (other lines are skipped). */
export function collectJson(p: ManagedProcess): JsonLine[] {
  const out: JsonLine[] = [];
  p.onLine((l) => {
    try {
      out.push(JSON.parse(l) as JsonLine);
    } catch {
      // not ours
    }
  });
  return out;
}
