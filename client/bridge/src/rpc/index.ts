import type { FastifyInstance } from 'fastify';
import type { AllowedFolders } from '../daemon/roots';
import type { Bridge, Logger } from '../daemon/bridge';
import type { BridgeState } from '../daemon/state';
import { MAX_PASSWORD_LENGTH, RpcAuth } from './auth';
import { newTrSessionId, ratioEnforcer, RpcContext } from './context';
import { Labels } from './labels';
import { RunningRpcServer, startRpcServer } from './server';
import { TorrentIds } from './torrent-ids';
import { MetaCache } from './torrent-view';

export { DEFAULT_RPC_PORT } from './server';

export interface RpcOptions {
  bridge: Bridge;
  state: BridgeState;
  token: string;
  folders: AllowedFolders;
  version: string;
  dataDir: string;
  log: Logger;
  host: string;
  /** 0 = no remote-control port (the labels still load, for the GUI); -1 = any free port. */
  port: number;
  hostnames: readonly string[];
  trWebRoot?: string;
}

export interface RemoteControl {
  /** The bound port, or 0 when off. */
  port: number;
  ctx: RpcContext;
  /** Ends every qBittorrent login session (the credentials changed). */
  logoutAll(): void;
  close(): Promise<void>;
}

const RATIO_CHECK_MS = 5000;

/** The Transmission RPC and the qBittorrent WebAPI over the bridge, on their own port. */
export async function startRemoteControl(opts: RpcOptions): Promise<RemoteControl> {
  const auth = new RpcAuth(opts.token, opts.state);
  await auth.load();
  const labels = new Labels(opts.state);
  await labels.load();
  const enforceRatios = ratioEnforcer(opts.bridge, opts.log);
  const ctx: RpcContext = {
    bridge: opts.bridge,
    ids: new TorrentIds(opts.bridge.session),
    meta: new MetaCache(opts.bridge.session),
    labels,
    auth,
    folders: opts.folders,
    version: opts.version,
    dataDir: opts.dataDir,
    startedAt: Date.now(),
    trSessionId: newTrSessionId(),
    log: opts.log,
    enforceRatios,
  };
  const timer = setInterval(enforceRatios, RATIO_CHECK_MS);
  timer.unref();
  let server: RunningRpcServer | undefined;
  if (opts.port !== 0) {
    try {
      server = await startRpcServer({
        ctx,
        host: opts.host,
        port: Math.max(0, opts.port),
        hostnames: opts.hostnames,
        ...(opts.trWebRoot ? { trWebRoot: opts.trWebRoot } : {}),
      });
    } catch (err) {
      clearInterval(timer);
      throw err;
    }
  }
  const remote: RemoteControl = {
    port: server?.port ?? 0,
    ctx,
    logoutAll: () => server?.qb.logoutAll(),
    close: async () => {
      clearInterval(timer);
      await server?.close();
    },
  };
  return remote;
}

/**
 * REST routes (behind the API token) for what the GUI shows and sets: categories and tags with
 * the torrents that carry them, and the remote-control user name and password.
 */
export function remoteControlRoutes(app: FastifyInstance, remote: RemoteControl): void {
  const { ctx } = remote;
  const tags = ['remote control'];
  app.get(
    '/api/labels',
    {
      schema: {
        tags,
        description:
          'qBittorrent categories and tags (Transmission labels), and which torrent has which',
        response: {
          200: {
            type: 'object',
            properties: {
              categories: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { name: { type: 'string' }, savePath: { type: 'string' } },
                },
              },
              tags: { type: 'array', items: { type: 'string' } },
              torrents: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    category: { type: 'string' },
                    tags: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const torrents: Record<string, { category?: string; tags?: string[] }> = {};
      for (const t of ctx.bridge.session.list()) {
        const r = ctx.bridge.record(t.infoHash);
        if (r?.category || r?.tags?.length) {
          torrents[t.infoHash] = {
            ...(r.category ? { category: r.category } : {}),
            ...(r.tags?.length ? { tags: r.tags } : {}),
          };
        }
      }
      return { categories: ctx.labels.listCategories(), tags: ctx.labels.listTags(), torrents };
    },
  );

  app.get(
    '/api/remote-control',
    {
      schema: {
        tags,
        response: {
          200: {
            type: 'object',
            properties: {
              port: { type: 'integer', description: '0 when off' },
              username: { type: 'string', description: 'absent: any user name and the token' },
            },
          },
        },
      },
    },
    async () => ({
      port: remote.port,
      ...(ctx.auth.username ? { username: ctx.auth.username } : {}),
    }),
  );

  app.put<{ Body: { username?: string; password?: string } }>(
    '/api/remote-control/credentials',
    {
      schema: {
        tags,
        description:
          'Sets the user name and password of the remote-control APIs (stored hashed); an empty body goes back to any user name and the token.',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 255 },
            password: { type: 'string', minLength: 8, maxLength: MAX_PASSWORD_LENGTH },
          },
        },
        response: { 204: { type: 'null' } },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body ?? {};
      if ((username === undefined) !== (password === undefined)) {
        return reply.code(400).send({ error: 'give both username and password, or neither' });
      }
      await ctx.auth.set(username !== undefined ? { username, password: password! } : undefined);
      remote.logoutAll();
      return reply.code(204).send();
    },
  );
}
