/**
 * The DHT's state on disk (LevelDB): our node id and the routing table's nodes, so a restart
 * rejoins without bootstrap nodes. Stored as compact node info; a damaged record reads as empty.
 */
import { ClassicLevel } from 'classic-level';
import {
  decodeCompactNodes,
  encodeCompactNodes,
  NODE_ID_LENGTH,
  type NodeInfo,
} from '@enjambre/bittorrent';

export interface SavedDht {
  nodeId?: Buffer;
  nodes: NodeInfo[];
}

/** Nodes kept on disk at most (the table holds far fewer in practice). */
const MAX_SAVED_NODES = 2000;

export class DhtDb {
  private readonly db: ClassicLevel<string, Buffer>;

  constructor(location: string) {
    this.db = new ClassicLevel<string, Buffer>(location, { valueEncoding: 'buffer' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  async load(): Promise<SavedDht> {
    const [id, n4, n6] = await this.db.getMany(['dht:id', 'dht:nodes4', 'dht:nodes6']);
    const nodes = [
      ...(n4 ? decodeCompactNodes(n4, 4) : []),
      ...(n6 ? decodeCompactNodes(n6, 6) : []),
    ].slice(0, MAX_SAVED_NODES);
    return { nodeId: id && id.length === NODE_ID_LENGTH ? Buffer.from(id) : undefined, nodes };
  }

  save(nodeId: Buffer, nodes: NodeInfo[]): Promise<void> {
    const some = nodes.slice(0, MAX_SAVED_NODES);
    return this.db.batch([
      { type: 'put', key: 'dht:id', value: nodeId },
      { type: 'put', key: 'dht:nodes4', value: encodeCompactNodes(some, 4) },
      { type: 'put', key: 'dht:nodes6', value: encodeCompactNodes(some, 6) },
    ]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
