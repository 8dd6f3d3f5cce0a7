/** Bootstrap nodes as users give them (`host:port`), resolved to addresses to query. */
import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { NODE_ID_LENGTH, type NodeInfo } from '@enjambre/bittorrent';
import type { DhtLogger } from './logger';

/** Splits `host:port` / `[v6]:port`. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`expected HOST:PORT, got ${JSON.stringify(s)}`);
  }
  return { host: m[1], port };
}

/**
 * Every address of every bootstrap node, with a random id each (the real ids are learnt from
 * their answers). A node that does not parse or resolve is logged and skipped: the others may do.
 */
export async function resolveRouters(list: readonly string[], logger?: DhtLogger) {
  const out: NodeInfo[] = [];
  for (const s of list) {
    try {
      const { host, port } = parseHostPort(s);
      for (const a of await dnsLookup(host, { all: true })) {
        out.push({ id: randomBytes(NODE_ID_LENGTH), ip: a.address, port });
      }
    } catch (err) {
      logger?.warn({ bootstrap: s, err: (err as Error).message }, 'dht bootstrap node unusable');
    }
  }
  return out;
}
