import { Dht, type DhtOptions } from '@enjambre/engine';

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
