/**
 * Replication as a tracker plugin: serves the Replication service on its own port (never on the
 * client gRPC port, so a NetworkPolicy can fence it off from clients), follows the peers file, and
 * catches up before the tracker reports ready.
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { replication } from '@enjambre/proto';
import type { PluginContext, PluginHandle, TrackerPlugin } from '../tracker';
import { networkKeyBytes } from './auth';
import { Replicator } from './replicator';

/** Default of --replication-port: the client gRPC port (8168) plus one. */
export const DEFAULT_REPLICATION_PORT = 8169;

export interface ReplicationPluginOptions {
  /** Port of the Replication service (and gRPC health); 0 picks a free port. */
  port?: number;
  /** "host:port" other replicas reach this one at; default `<hostname>:<replication port>`. */
  advertise?: string;
  /** How long a starting replica waits for the others' state before it reports ready. */
  catchUpTimeoutMs?: number;
  /** Peers-file poll period. */
  peersPollMs?: number;
}

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
    const networkKey = options.redKey ?? '';
    // Refuses a short or placeholder key before anything listens.
    networkKeyBytes(networkKey);
    const log = logger.child({ component: 'replication' });
    const tls = options.tls;
    // Replicas verify each other with the cluster's certificate chain as the trust root.
    const credentials = tls
      ? grpc.credentials.createSsl(tls.cert)
      : grpc.credentials.createInsecure();
    const serverCredentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }])
      : grpc.ServerCredentials.createInsecure();
    let advertise = pluginOptions.advertise ?? '';
    const localAddresses = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((a) => a?.address),
    );
    let port = -1;
    const replicator = new Replicator({
      store: ctx.store,
      networkKey,
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
        `${p.host}:${p.port}` === advertise || (p.port === port && localAddresses.has(p.host)),
    });
    // As on the client port: a batch of BATCH_RECORDS records with the longest names fits.
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
    server.addService(replication.ReplicationService, replicator.service());
    // Health here too, so a probe or a replica can check this port.
    ctx.health.addToServer(server);
    const ip = options.ip ?? '127.0.0.1';
    const address = ip.includes(':') ? `[${ip}]` : ip;
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `${address}:${pluginOptions.port ?? DEFAULT_REPLICATION_PORT}`,
        serverCredentials,
        (err, bound) => (err ? reject(err) : resolve(bound)),
      ),
    );
    if (advertise === '') advertise = `${hostname()}:${port}`;
    replicator.setAdvertise(advertise);
    log.info(
      {
        replica: replicator.replicaId,
        replicationPort: port,
        advertise,
        peersFile: options.peersFile,
      },
      'replication listening',
    );
    return {
      async started() {
        await replicator.start();
        await replicator.catchUp(pluginOptions.catchUpTimeoutMs ?? 10_000);
      },
      async close() {
        replicator.close();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.forceShutdown(), 2000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
      },
    };
  };
}
