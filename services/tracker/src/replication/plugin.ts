/**
 * Replication as a tracker plugin: adds the Replication service to the tracker's gRPC server,
 * follows the peers file, and catches up before the tracker reports ready.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { replication } from '@enjambre/proto';
import type { PluginContext, PluginHandle, TrackerPlugin } from '../tracker';
import { Replicator } from './replicator';

export interface ReplicationPluginOptions {
  /** "host:port" other replicas reach this one at; default `<hostname>:<grpc port>`. */
  advertise?: string;
  /** How long a starting replica waits for the others' state before it reports ready. */
  catchUpTimeoutMs?: number;
  /** Peers-file poll period. */
  peersPollMs?: number;
}

/** The placeholder key of the Kubernetes manifests: replication works, but anyone can join. */
const PLACEHOLDER = /^REPLACE-ME/;
const ID_FILE = 'ENJAMBRE-REPLICA-ID';

/**
 * This replica's id, kept in the data directory so that it survives restarts (completed counters
 * are per replica id); random per process without a data directory.
 */
export function loadReplicaId(dataDir: string | undefined): Buffer {
  if (dataDir === undefined) return randomBytes(16);
  const file = path.join(dataDir, ID_FILE);
  try {
    const id = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (id.length === 16) return id;
  } catch {
    // First start: create it below.
  }
  const id = randomBytes(16);
  writeFileSync(`${file}.tmp`, id.toString('hex') + '\n');
  renameSync(`${file}.tmp`, file);
  return id;
}

export function replicationPlugin(pluginOptions: ReplicationPluginOptions = {}): TrackerPlugin {
  return async (ctx: PluginContext): Promise<PluginHandle> => {
    const { options, logger } = ctx;
    const key = options.redKey ?? '';
    if (key === '') throw new Error('replication needs --red-key');
    if (PLACEHOLDER.test(key)) {
      logger.warn(
        'the network key is the placeholder of the manifests: replace it (deploy/README.md)',
      );
    }
    const log = logger.child({ component: 'replication' });
    const tls = options.tls;
    // Replicas verify each other with the cluster's certificate chain as the trust root.
    const credentials = tls
      ? grpc.credentials.createSsl(tls.cert)
      : grpc.credentials.createInsecure();
    let advertise = pluginOptions.advertise ?? '';
    let grpcPort = -1;
    const localAddresses = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((a) => a?.address),
    );
    const replicator = new Replicator({
      store: ctx.store,
      networkKey: key,
      replicaId: loadReplicaId(options.dataDir),
      storeOrigin: options.origin ?? 'local',
      advertise,
      credentials,
      logger: log,
      registry: ctx.metrics.registry,
      peersFile: options.peersFile,
      peersPollMs: pluginOptions.peersPollMs,
      // Entries that obviously name us are skipped; any other is found out by KnowMe.
      isSelf: (p) =>
        `${p.host}:${p.port}` === advertise || (p.port === grpcPort && localAddresses.has(p.host)),
    });
    ctx.server.addService(replication.ReplicationService, replicator.service());
    log.info({ replica: replicator.replicaId, peersFile: options.peersFile }, 'replication on');
    return {
      async started(ports) {
        grpcPort = ports.grpcPort;
        if (advertise === '') advertise = `${hostname()}:${ports.grpcPort}`;
        replicator.setAdvertise(advertise);
        await replicator.start();
        await replicator.catchUp(pluginOptions.catchUpTimeoutMs ?? 10_000);
      },
      async close() {
        replicator.close();
      },
    };
  };
}
