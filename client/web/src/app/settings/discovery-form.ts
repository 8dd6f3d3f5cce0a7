/** The DHT and LSD part of the settings form: checks that match the bridge's (discovery.ts). */

/** The bridge keeps at most this many bootstrap nodes. */
export const MAX_BOOTSTRAP_NODES = 32;

const HOST_PORT =
  /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(\d{1,5})$/;

/** undefined when `text` is 0 or a port from 1024 to 65535, else what is wrong. */
export function dhtPortProblem(text: string): string | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return 'A port is a number: 0 (the peer port) or 1024 to 65535.';
  const n = Number(text);
  return n === 0 || (n >= 1024 && n <= 65535)
    ? undefined
    : 'Use 0 (the peer port) or a port from 1024 to 65535.';
}

/** The nodes in `text` (one per line or comma-separated), or what is wrong with them. */
export function parseBootstrap(text: string): { nodes: string[]; problem?: string } {
  const nodes = [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (nodes.length > MAX_BOOTSTRAP_NODES) {
    return { nodes, problem: `At most ${MAX_BOOTSTRAP_NODES} bootstrap nodes.` };
  }
  for (const n of nodes) {
    const m = HOST_PORT.exec(n);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      return {
        nodes,
        problem: `"${n}" is not host:port (e.g. tracker.lan:6881, or [::1]:6881 for IPv6).`,
      };
    }
  }
  return { nodes };
}

/** Words for the DHT's health as the bridge reports it. */
export function healthLabel(health: 'off' | 'no-nodes' | 'few-nodes' | 'ok'): string {
  switch (health) {
    case 'off':
      return 'Off';
    case 'no-nodes':
      return 'No nodes yet: give a bootstrap node';
    case 'few-nodes':
      return 'Connected to few nodes';
    case 'ok':
      return 'Well connected';
  }
}
