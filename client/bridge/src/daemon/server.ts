import Fastify, { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { checkRequest } from './guard';

export interface ServerOptions {
  token: string;
  /** Folder with the built GUI (index.html); when missing, `/` explains how to build it. */
  webRoot?: string;
  /** A pino logger for requests and errors; silent when absent. */
  logger?: FastifyBaseLogger;
  /** Host names the API answers to, besides the loopback ones (see guard.ts). */
  hostnames?: string[];
}

/**
 * The HTTP face of the bridge. Every `/api/` route and `/metrics` go through the guard; the GUI's
 * static files do not need the token (they hold no data: the GUI reads the token from its URL).
 * Routes are registered by the caller so this module stays about transport and policy.
 */
export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: 16 * 1024 * 1024,
    // Stopping the daemon must not wait for a browser's open stream or keep-alive socket.
    forceCloseConnections: true,
  });

  // Registered before the guard so that its hooks see a refused upgrade too and close its socket.
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0];
    if (!path.startsWith('/api/') && path !== '/metrics') return;
    const verdict = checkRequest(
      {
        token: opts.token,
        port: (app.server.address() as AddressInfo).port,
        ...(opts.hostnames ? { hostnames: opts.hostnames } : {}),
      },
      { method: req.method, url: req.url, headers: req.headers },
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

  if (opts.webRoot && existsSync(opts.webRoot)) {
    await app.register(fastifyStatic, { root: opts.webRoot, wildcard: false });
    // The GUI routes client-side: unknown non-API paths get the app shell.
    app.setNotFoundHandler((req, reply) => {
      if (req.url.startsWith('/api/')) return reply.code(404).send({ error: 'no such endpoint' });
      return reply.sendFile('index.html');
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/plain')
        .send('The web GUI is not built. Run `npm run build` in the repository, then restart.\n'),
    );
  }
  return app;
}
