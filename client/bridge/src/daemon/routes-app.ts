import type { FastifyInstance } from 'fastify';
import { mkdir } from 'node:fs/promises';
import { Bridge } from './bridge';
import { CatalogReader, isGrpcTracker } from './catalog';
import { checkDiscoverySettings } from './discovery';
import { badRequest, forbidden } from './http-error';
import type { LiveFeed } from './live';
import type { BridgeMetrics } from './metrics';
import type { AllowedFolders } from './roots';
import * as S from './schemas';
import { Shares } from './shares';
import type { Settings } from './state';

export interface EmbeddedTrackerUrls {
  grpc: string;
  http: string;
  udp?: string;
}

export interface AppRoutesDeps {
  bridge: Bridge;
  shares: Shares;
  catalog: CatalogReader;
  metrics: BridgeMetrics;
  live: LiveFeed;
  version: string;
  startedAt: number;
  apiPort: () => number;
  tracker?: EmbeddedTrackerUrls;
  folders: AllowedFolders;
  trackers: () => string[];
}

const TRACKER_URL = /^(grpcs?|https?|udp):\/\/[^\s/]+/i;

function checkTrackers(urls: readonly string[]): void {
  for (const u of urls) {
    if (!TRACKER_URL.test(u)) {
      throw badRequest(`not a tracker URL (grpc://, http://, https:// or udp://): ${u}`);
    }
  }
}

/** Status, shares, catalog, settings, folder browsing, metrics and the WebSocket. */
export function appRoutes(app: FastifyInstance, deps: AppRoutesDeps): void {
  const { bridge, shares, catalog } = deps;

  app.get(
    '/api/status',
    {
      schema: {
        tags: ['daemon'],
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              uptime: { type: 'number', description: 'seconds' },
              torrents: { type: 'integer' },
              downloadRate: { type: 'number' },
              uploadRate: { type: 'number' },
              listenPort: { type: 'integer' },
              apiPort: { type: 'integer' },
              tracker: {
                type: 'object',
                properties: {
                  grpc: { type: 'string' },
                  http: { type: 'string' },
                  udp: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const all = bridge.session.list().map((t) => t.status());
      return {
        version: deps.version,
        uptime: Math.round((Date.now() - deps.startedAt) / 1000),
        torrents: all.length,
        downloadRate: all.reduce((s, t) => s + t.downloadRate, 0),
        uploadRate: all.reduce((s, t) => s + t.uploadRate, 0),
        listenPort: bridge.session.port,
        apiPort: deps.apiPort(),
        ...(deps.tracker ? { tracker: deps.tracker } : {}),
      };
    },
  );

  app.post<{
    Body: {
      path: string;
      trackers?: string[];
      private?: boolean;
      comment?: string;
      format?: 'v1' | 'v2' | 'hybrid';
    };
  }>(
    '/api/shares',
    {
      schema: {
        tags: ['shares'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            path: { type: 'string', minLength: 1, maxLength: 4096 },
            trackers: { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 100 },
            private: { type: 'boolean' },
            comment: { type: 'string', maxLength: 4096 },
            format: { type: 'string', enum: ['v1', 'v2', 'hybrid'] },
          },
          required: ['path'],
        },
        response: {
          202: { type: 'object', properties: { id: { type: 'string' } } },
          ...S.errors,
        },
      },
    },
    async (req, reply) => {
      const path = await deps.folders.shareSource(req.body.path);
      const trackers = req.body.trackers?.length ? req.body.trackers : deps.trackers();
      checkTrackers(trackers);
      const job = shares.start({
        path,
        trackers,
        private: req.body.private,
        comment: req.body.comment,
        format: req.body.format,
      });
      return reply.code(202).send({ id: job.id });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/shares/:id',
    {
      schema: {
        tags: ['shares'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: S.shareJob, ...S.errors },
      },
    },
    async (req) => shares.get(req.params.id),
  );

  app.get<{ Querystring: { tracker?: string; search?: string; pageToken?: string } }>(
    '/api/catalog',
    {
      schema: {
        tags: ['catalog'],
        querystring: {
          type: 'object',
          properties: {
            tracker: { type: 'string', maxLength: 2048 },
            search: { type: 'string', maxLength: 1024 },
            pageToken: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (req) => {
      let urls = deps.trackers();
      if (req.query.tracker !== undefined) {
        if (!isGrpcTracker(req.query.tracker)) {
          throw badRequest('only enjambre trackers (grpc:// or grpcs://) have a catalog');
        }
        urls = [req.query.tracker];
      }
      return {
        trackers: await catalog.list(urls, {
          search: req.query.search,
          pageToken: req.query.pageToken,
        }),
      };
    },
  );

  app.get('/api/trackers', { schema: { tags: ['catalog'] } }, async () =>
    catalog.health(deps.trackers()),
  );

  // The allowed folders are shown with the settings but come from the command line.
  const settingsView = () => ({ ...bridge.settings, allowedFolders: deps.folders.folders });

  app.get(
    '/api/settings',
    { schema: { tags: ['settings'], response: { 200: S.settings } } },
    async () => settingsView(),
  );

  app.put<{ Body: Partial<Settings> & { allowedRoots?: unknown; allowedFolders?: unknown } }>(
    '/api/settings',
    {
      schema: {
        tags: ['settings'],
        body: S.settingsBody,
        response: { 200: S.settings, ...S.errors },
      },
    },
    async (req) => {
      const { allowedRoots, allowedFolders, ...change } = req.body;
      if (allowedRoots !== undefined || allowedFolders !== undefined) {
        throw forbidden(
          'the allowed folders are set when the daemon starts (--allow-folder, or allowFolders ' +
            'in config.json), never through the API',
        );
      }
      const next: Settings = { ...bridge.settings, ...change };
      if (change.downloadDir !== undefined) {
        next.downloadDir = await deps.folders.downloadFolder(change.downloadDir);
        await mkdir(next.downloadDir, { recursive: true });
      }
      checkTrackers(next.trackers);
      checkDiscoverySettings(next);
      await bridge.setSettings(next);
      return settingsView();
    },
  );

  app.get<{ Querystring: { path?: string; hidden?: string } }>(
    '/api/fs',
    {
      schema: {
        tags: ['shares'],
        querystring: {
          type: 'object',
          properties: {
            path: { type: 'string', maxLength: 4096 },
            hidden: {
              type: 'string',
              enum: ['1', '0', 'true', 'false'],
              description: 'list and open dot-files and dot-folders',
            },
          },
        },
      },
    },
    async (req) =>
      deps.folders.browse(req.query.path || deps.folders.folders[0], {
        hidden: req.query.hidden === '1' || req.query.hidden === 'true',
      }),
  );

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  app.get(
    '/api/ws',
    { websocket: true, schema: { hide: true }, config: { access: 'token-or-query' } },
    (socket) => deps.live.attach(socket),
  );
}
