import Fastify, { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { accessOf, checkRequest, RouteAccess } from './guard';

export interface ServerOptions {
  token: string;
  /** Folder with the built GUI (index.html); when missing, `/` explains how to build it. */
  webRoot?: string;
  /** A pino logger for requests and errors; silent when absent. */
  logger?: FastifyBaseLogger;
  /** Host names the API answers to, besides the loopback ones (see guard.ts). */
  hostnames?: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may reach the route (guard.ts); absent means the token is needed. */
    access?: RouteAccess;
  }
}

/** A route as registered, with the access it declares (see guard.ts). */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

export interface BridgeServer {
  app: FastifyInstance;
  /** Every route registered so far, the static files' and the ones the caller adds later too. */
  routes: RegisteredRoute[];
}

/**
 * The HTTP face of the bridge. The guard runs on every request and decides on the route the
 * router matched (after it decoded the path), never on the raw URL: every route needs the token
 * unless it declares otherwise in its config (guard.ts), and only the GUI's static files and its
 * app shell are public. Routes are registered by the caller so this module stays about transport
 * and policy.
 */
export async function createServer(opts: ServerOptions): Promise<BridgeServer> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: 16 * 1024 * 1024,
    // Stopping the daemon must not wait for a browser's open stream or keep-alive socket.
    forceCloseConnections: true,
  });
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      // Read when asked: a scope's own onRoute hooks (the static files') run after this one.
      routes.push({
        method,
        url: r.url,
        get access() {
          return accessOf(r.config);
        },
      });
    }
  });

  // Registered before the guard so that its hooks see a refused upgrade too and close its socket.
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 64 * 1024,
      // permessage-deflate (every browser offers it): the first message lists every torrent
      // (about 7 MB of JSON with 10,000) and shrinks about tenfold; level 1 keeps the daemon's
      // CPU low, and the once-a-second deltas under 1 KB go as they are
      perMessageDeflate: { threshold: 1024, zlibDeflateOptions: { level: 1 } },
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    const verdict = checkRequest(
      {
        token: opts.token,
        port: (app.server.address() as AddressInfo).port,
        ...(opts.hostnames ? { hostnames: opts.hostnames } : {}),
      },
      {
        headers: req.headers,
        // No route matched: the not-found handler answers, and it serves no data.
        access: req.is404 ? 'public' : accessOf(req.routeOptions.config),
        queryToken: queryToken(req.query),
      },
    );
    if (!verdict.ok) {
      await reply.code(verdict.status).send({ error: verdict.message });
    }
  });

  // The GUI's URL carries the token once: never send it on as a Referer, never be framed.
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status =
      err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) app.log.error(err);
    void reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'enjambre bridge API', version: '1' },
      components: {
        securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ token: [] }],
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const gui =
    opts.webRoot && existsSync(join(opts.webRoot, 'index.html')) ? opts.webRoot : undefined;
  // The shell is what every client-side path gets, read once like the static routes are.
  const shell = gui ? readFileSync(join(gui, 'index.html')) : undefined;
  if (gui) {
    // The static plugin registers one route per file of the build; this scope marks them public.
    await app.register(async (scope) => {
      scope.addHook('onRoute', (r) => {
        r.config = { ...(r.config as object), access: 'public' };
      });
      await scope.register(fastifyStatic, { root: gui, wildcard: false });
    });
  } else {
    app.get('/', { schema: { hide: true }, config: { access: 'public' } }, async (_req, reply) =>
      reply
        .type('text/plain')
        .send('The web GUI is not built. Run `npm run build` in the repository, then restart.\n'),
    );
  }
  // The GUI routes client-side, so a page reload on one of its paths gets the app shell; anything
  // under the API's prefixes, or sent with another method, is just unknown.
  app.setNotFoundHandler((req, reply) => {
    if (!shell || !isGuiPath(req.method, req.url)) {
      return reply.code(404).send({ error: 'no such endpoint' });
    }
    return reply.type('text/html; charset=utf-8').send(shell);
  });
  return { app, routes };
}

/** The `token` query parameter when it is given once; anything else is no token. */
function queryToken(query: unknown): string | undefined {
  const t = (query as Record<string, unknown> | undefined)?.token;
  return typeof t === 'string' ? t : undefined;
}

function isGuiPath(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  let path = url.split(/[?#]/, 1)[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    return false;
  }
  return !/^\/+(api|metrics)(\/|$)/i.test(path);
}
