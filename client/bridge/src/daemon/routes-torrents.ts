import type { FastifyInstance } from 'fastify';
import type { FilePriority, TorrentSource } from '@enjambre/engine';
import { Bridge } from './bridge';
import { badRequest, HttpError, notFound } from './http-error';
import { ListQuery, page, parseFields, pick } from './listing';
import type { AllowedFolders } from './roots';
import * as S from './schemas';
import { contentTypeFor, parseRange } from './stream';

export interface TorrentRoutesDeps {
  bridge: Bridge;
  /** Folders a download may go in. */
  folders: AllowedFolders;
  /** Trackers for an info-hash added from a catalog without trackers of its own. */
  trackers: () => string[];
}

interface AddBody {
  magnet?: string;
  torrent?: string;
  infoHash?: string;
  name?: string;
  trackers?: string[];
  downloadDir?: string;
  paused?: boolean;
  sequential?: boolean;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function sourceOf(body: AddBody, trackers: string[]): TorrentSource {
  const given = [body.magnet, body.torrent, body.infoHash].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw badRequest('give exactly one of magnet, torrent (base64) or infoHash');
  }
  if (body.torrent !== undefined) {
    const b64 = body.torrent.replace(/\s+/g, '');
    if (b64.length === 0 || !BASE64.test(b64)) throw badRequest('torrent is not valid base64');
    return { torrent: Buffer.from(b64, 'base64') };
  }
  if (body.magnet !== undefined) {
    if (!/^magnet:\?/i.test(body.magnet)) throw badRequest('not a magnet link (magnet:?...)');
    return { magnet: body.magnet };
  }
  const infoHash = body.infoHash!;
  if (!/^[0-9a-fA-F]{40}$/.test(infoHash)) throw badRequest('infoHash must be 40 hex digits');
  return {
    infoHash: infoHash.toLowerCase(),
    ...(body.name ? { name: body.name } : {}),
    trackers: body.trackers && body.trackers.length > 0 ? body.trackers : trackers,
  };
}

/** `/api/torrents/...`: the torrent list and everything done to one torrent. */
export function torrentRoutes(app: FastifyInstance, deps: TorrentRoutesDeps): void {
  const { bridge } = deps;
  const tags = ['torrents'];

  app.get<{ Querystring: ListQuery }>(
    '/api/torrents',
    {
      schema: {
        tags,
        description:
          'Torrents in the order they were added; `offset` and `limit` page the list (the ' +
          'header `x-total-count` gives its length), `fields` (comma-separated) selects fields.',
        querystring: {
          type: 'object',
          properties: {
            offset: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 0, maximum: 1_000_000 },
            fields: { type: 'string', maxLength: 2000 },
          },
        },
        response: { 200: { type: 'array', items: S.torrentStatus }, ...S.errors },
      },
    },
    async (req, reply) => {
      const fields = parseFields(req.query.fields);
      const all = bridge.session.list();
      const list = page(all, req.query.offset, req.query.limit).map((t) =>
        pick(t.status(), fields),
      );
      // JSON.stringify is about twice as fast as the schema's serializer on 10,000 statuses,
      // and the statuses are the engine's own objects: nothing to strip
      return reply
        .header('x-total-count', all.length)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(list));
    },
  );

  app.post<{ Body: AddBody }>(
    '/api/torrents',
    {
      schema: {
        tags,
        body: S.addBody,
        response: { 201: S.torrentStatus, ...S.errors },
      },
    },
    async (req, reply) => {
      const source = sourceOf(req.body, deps.trackers());
      const downloadDir =
        req.body.downloadDir === undefined
          ? undefined
          : await deps.folders.downloadFolder(req.body.downloadDir);
      const t = await bridge.add({
        source,
        downloadDir,
        paused: req.body.paused,
        sequential: req.body.sequential,
      });
      return reply.code(201).send(t.status());
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id',
    { schema: { tags, params: S.idParams, response: { 200: S.torrentStatus, ...S.errors } } },
    async (req) => bridge.get(req.params.id).status(),
  );

  app.delete<{
    Params: { id: string };
    Querystring: { deleteData?: boolean; deleteOriginals?: boolean };
  }>(
    '/api/torrents/:id',
    {
      schema: {
        tags,
        params: S.idParams,
        querystring: {
          type: 'object',
          properties: {
            deleteData: { type: 'boolean', default: false },
            deleteOriginals: {
              type: 'boolean',
              default: false,
              description: 'a share seeds the user’s own files: delete those too',
            },
          },
        },
        response: { 204: { type: 'null' }, ...S.errors },
      },
    },
    async (req, reply) => {
      await bridge.remove(req.params.id, {
        deleteData: req.query.deleteData === true,
        deleteOriginals: req.query.deleteOriginals === true,
      });
      return reply.code(204).send();
    },
  );

  for (const action of ['pause', 'resume', 'recheck'] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/torrents/:id/${action}`,
      { schema: { tags, params: S.idParams, response: { 200: S.torrentStatus, ...S.errors } } },
      async (req) => {
        if (action === 'pause') return (await bridge.pause(req.params.id)).status();
        if (action === 'resume') return (await bridge.resume(req.params.id)).status();
        const t = bridge.get(req.params.id);
        // A recheck of a large torrent takes minutes: answer at once, progress shows in the list.
        t.recheck().catch((err: unknown) =>
          app.log.warn({ infoHash: t.infoHash, err: String(err) }, 'recheck failed'),
        );
        return t.status();
      },
    );
  }

  app.put<{ Params: { id: string }; Body: { sequential: boolean } }>(
    '/api/torrents/:id/sequential',
    {
      schema: {
        tags,
        params: S.idParams,
        body: {
          type: 'object',
          properties: { sequential: { type: 'boolean' } },
          required: ['sequential'],
        },
        response: { 200: S.torrentStatus, ...S.errors },
      },
    },
    async (req) => (await bridge.setSequential(req.params.id, req.body.sequential)).status(),
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id/files',
    {
      schema: {
        tags,
        params: S.idParams,
        response: { 200: { type: 'array', items: S.fileStatus }, ...S.errors },
      },
    },
    async (req) => bridge.get(req.params.id).files(),
  );

  app.put<{ Params: { id: string; index: number }; Body: { priority: FilePriority } }>(
    '/api/torrents/:id/files/:index/priority',
    {
      schema: {
        tags,
        params: S.fileParams,
        body: {
          type: 'object',
          properties: { priority: { type: 'integer', enum: [0, 1, 2] } },
          required: ['priority'],
        },
        response: { 200: S.fileStatus, ...S.errors },
      },
    },
    async (req) => {
      const t = await bridge.setFilePriority(req.params.id, req.params.index, req.body.priority);
      return t.files()[req.params.index];
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id/peers',
    {
      schema: {
        tags,
        params: S.idParams,
        response: { 200: { type: 'array', items: S.peerStatus }, ...S.errors },
      },
    },
    async (req) => bridge.get(req.params.id).peers(),
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id/trackers',
    {
      schema: {
        tags,
        params: S.idParams,
        response: { 200: { type: 'array', items: S.trackerStatus }, ...S.errors },
      },
    },
    async (req) => bridge.get(req.params.id).trackers(),
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id/pieces',
    {
      schema: {
        tags,
        params: S.idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              pieceCount: { type: 'integer' },
              bitfield: { type: 'string', description: 'one bit per piece, MSB first, base64' },
            },
          },
          ...S.errors,
        },
      },
    },
    async (req) => {
      const t = bridge.get(req.params.id);
      return {
        pieceCount: t.status().pieceCount,
        bitfield: Buffer.from(t.bitfield()).toString('base64'),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/torrents/:id/torrent',
    {
      schema: { tags, params: S.idParams, produces: ['application/x-bittorrent'] },
      config: { access: 'token-or-query' },
    },
    async (req, reply) => {
      const t = bridge.get(req.params.id);
      const file = t.torrentFile();
      if (!file) throw new HttpError(409, 'the metadata has not arrived yet');
      return reply
        .type('application/x-bittorrent')
        .header('content-disposition', attachment(`${t.status().name || t.infoHash}.torrent`))
        .send(Buffer.from(file));
    },
  );

  app.get<{ Params: { id: string; index: number } }>(
    '/api/torrents/:id/files/:index/stream',
    {
      config: { access: 'token-or-query' },
      schema: {
        tags,
        params: S.fileParams,
        description:
          'The bytes of one file, with HTTP Range support; the pieces under the range are fetched first.',
      },
    },
    async (req, reply) => {
      const t = bridge.get(req.params.id);
      const file = t.files()[req.params.index];
      if (!file) throw notFound(`no file ${req.params.index} in this torrent`);
      const size = file.length;
      const range = parseRange(req.headers.range, size);
      void reply
        .header('accept-ranges', 'bytes')
        // The bytes come from strangers: never let the browser run them in the GUI's origin.
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .header('content-disposition', inline(file.path.split('/').pop() ?? 'file'))
        .type(contentTypeFor(file.path));
      if (range.kind === 'unsatisfiable') {
        return reply
          .code(416)
          .header('content-range', `bytes */${size}`)
          .type('application/json')
          .send({ error: `range outside the file (${size} bytes)` });
      }
      if (size === 0) return reply.header('content-length', 0).send('');
      const start = range.kind === 'range' ? range.start : 0;
      const end = range.kind === 'range' ? range.end : size - 1;
      if (range.kind === 'range') {
        void reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
      }
      reply.header('content-length', end - start + 1);
      return reply.send(t.createFileReadStream(req.params.index, { start, end }));
    },
  );
}

function attachment(name: string): string {
  return `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function inline(name: string): string {
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}`;
}
