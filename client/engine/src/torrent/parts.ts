import type { SessionContext } from '../context';
import { wireHashes, type TorrentMeta } from '../meta';
import type { TorrentContent } from './content';
import type { Live, Transfer } from './live';
import { MetadataExchange } from './metadata';
import { PeerRouter } from './peer-router';
import { TorrentSources } from './sources';
import { Swarm } from './swarm';

/** The parts a torrent keeps for its whole life, whatever its phase. */
export interface TorrentParts {
  metadata: MetadataExchange;
  swarm: Swarm;
  sources: TorrentSources;
  router: PeerRouter;
}

/** What the parts ask of their torrent. */
export interface PartsOwner {
  transfer: Transfer;
  content(): TorrentContent | undefined;
  live(): Live | undefined;
  /** Whether the torrent is connected (dials, accepts, ticks). */
  connected(): boolean;
  onMetadata(info: Buffer): void;
}

/** Wires a torrent's swarm, discovery, metadata exchange and peer router to each other. */
export function buildParts(
  ctx: SessionContext,
  init: { infoHash: Buffer; meta?: TorrentMeta; infoHashV2?: string; tiers: string[][] },
  owner: PartsOwner,
): TorrentParts {
  const metadata = new MetadataExchange(init.infoHash, (info) => owner.onMetadata(info));
  if (init.meta) metadata.setInfo(init.meta.infoBytes);
  const swarm: Swarm = new Swarm(
    () => ctx.maxPeersPerTorrent,
    () => ctx.sessionRoom(),
    (socket, c, address) => router.outgoing(socket, c, address),
    () => ctx.selfAddresses(),
    (delta) => ctx.peersChanged(delta),
  );
  const sources = new TorrentSources(ctx, {
    infoHash: init.infoHash,
    meta: init.meta,
    infoHashV2: init.infoHashV2,
    transfer: owner.transfer,
    left: () => owner.content()?.left(),
    tiers: () => init.tiers,
    take: (peers, kind) => {
      const added = swarm.addCandidates(peers, kind);
      // PEX tells two peers about each other at once: dialled at the next tick, not both now
      if (added > 0 && kind !== 'pex' && owner.connected()) swarm.maintain();
      return added;
    },
  });
  const router: PeerRouter = new PeerRouter({
    infoHash: init.infoHash,
    hashes: () => wireHashes(init.infoHash, owner.content()?.meta ?? init.meta, init.infoHashV2),
    peerId: ctx.peerId,
    port: () => ctx.port(),
    swarm,
    metadata,
    pex: sources.pex,
    isPublic: () => sources.discovery.publicAnnounce,
    connected: () => owner.connected(),
    content: () => owner.content(),
    live: () => owner.live(),
    logger: ctx.logger,
  });
  return { metadata, swarm, sources, router };
}
