/**
 * JSON schemas of the API's bodies and answers: fastify validates requests with them and
 * @fastify/swagger turns them into `GET /api/openapi.json`. Answers allow extra properties so a
 * field the engine adds later is passed through rather than silently dropped.
 */
import { discoverySettingsSchema } from './discovery';

const error = {
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
} as const;

export const errors = {
  400: error,
  401: error,
  403: error,
  404: error,
  409: error,
} as const;

export const torrentStatus = {
  type: 'object',
  additionalProperties: true,
  properties: {
    infoHash: { type: 'string' },
    name: { type: 'string' },
    state: {
      type: 'string',
      enum: ['metadata', 'checking', 'downloading', 'seeding', 'paused', 'error'],
    },
    error: { type: 'string' },
    size: { type: 'number' },
    wantedSize: { type: 'number' },
    downloaded: { type: 'number' },
    uploadedTotal: { type: 'number' },
    downloadedTotal: { type: 'number' },
    progress: { type: 'number' },
    downloadRate: { type: 'number' },
    uploadRate: { type: 'number' },
    eta: { type: 'number' },
    seeders: { type: 'number' },
    leechers: { type: 'number' },
    peersFound: {
      type: 'object',
      description: 'New peer addresses each source gave since the torrent was added',
      additionalProperties: true,
      properties: {
        tracker: { type: 'integer' },
        dht: { type: 'integer' },
        lsd: { type: 'integer' },
        pex: { type: 'integer' },
        manual: { type: 'integer' },
      },
    },
    swarmSeeders: { type: 'number' },
    swarmLeechers: { type: 'number' },
    ratio: { type: 'number' },
    sequential: { type: 'boolean' },
    paused: { type: 'boolean' },
    pieceLength: { type: 'number' },
    pieceCount: { type: 'number' },
    downloadDir: { type: 'string' },
    addedAt: { type: 'number' },
    completedAt: { type: 'number' },
    magnet: { type: 'string' },
    webSeeds: {
      type: 'array',
      description: 'BEP 19 web seeds in use (http/https URLs of url-list, at most 8)',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          url: { type: 'string' },
          state: { type: 'string', enum: ['idle', 'downloading', 'backoff', 'failed'] },
          downloaded: { type: 'number' },
          downloadRate: { type: 'number' },
          error: { type: 'string' },
          retryAt: { type: 'number' },
        },
      },
    },
  },
} as const;

export const fileStatus = {
  type: 'object',
  additionalProperties: true,
  properties: {
    index: { type: 'integer' },
    path: { type: 'string' },
    length: { type: 'number' },
    downloaded: { type: 'number' },
    priority: { type: 'integer', enum: [0, 1, 2] },
  },
} as const;

export const peerStatus = {
  type: 'object',
  additionalProperties: true,
  properties: {
    address: { type: 'string' },
    client: { type: 'string' },
    flags: { type: 'string' },
    progress: { type: 'number' },
    downloadRate: { type: 'number' },
    uploadRate: { type: 'number' },
    downloaded: { type: 'number' },
    uploaded: { type: 'number' },
    source: { type: 'string' },
  },
} as const;

export const trackerStatus = {
  type: 'object',
  additionalProperties: true,
  properties: {
    url: { type: 'string' },
    tier: { type: 'integer' },
    status: { type: 'string', enum: ['idle', 'announcing', 'working', 'error'] },
    lastAnnounce: { type: 'number' },
    nextAnnounce: { type: 'number' },
    seeders: { type: 'number' },
    leechers: { type: 'number' },
    peers: { type: 'number' },
    message: { type: 'string' },
  },
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'info-hash, 40 hex digits' } },
  required: ['id'],
} as const;

export const fileParams = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'info-hash, 40 hex digits' },
    index: { type: 'integer', minimum: 0 },
  },
  required: ['id', 'index'],
} as const;

export const addBody = {
  type: 'object',
  additionalProperties: false,
  description: 'exactly one of magnet, torrent (base64) or infoHash',
  properties: {
    magnet: { type: 'string', maxLength: 65536 },
    torrent: { type: 'string', description: 'the .torrent file, base64' },
    infoHash: { type: 'string' },
    name: { type: 'string', maxLength: 1024 },
    trackers: { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 100 },
    downloadDir: { type: 'string', maxLength: 4096 },
    paused: { type: 'boolean' },
    sequential: { type: 'boolean' },
  },
} as const;

export const shareJob = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    path: { type: 'string' },
    state: { type: 'string', enum: ['hashing', 'done', 'error'] },
    progress: { type: 'number' },
    error: { type: 'string' },
    infoHash: { type: 'string' },
    magnet: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

export const settings = {
  type: 'object',
  additionalProperties: true,
  properties: {
    downloadDir: { type: 'string' },
    listenPort: { type: 'integer' },
    maxPeers: { type: 'integer' },
    uploadRateLimit: { type: 'number' },
    downloadRateLimit: { type: 'number' },
    trackers: { type: 'array', items: { type: 'string' } },
    dhtEnabled: { type: 'boolean' },
    dhtPort: { type: 'integer', description: '0: the peer port' },
    dhtBootstrap: { type: 'array', items: { type: 'string' } },
    lsdEnabled: { type: 'boolean' },
    allowedFolders: {
      type: 'array',
      items: { type: 'string' },
      description: 'set at start (--allow-folder, config.json); read-only here',
    },
  },
} as const;

export const settingsBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    downloadDir: { type: 'string', minLength: 1, maxLength: 4096 },
    listenPort: { type: 'integer', minimum: 0, maximum: 65535 },
    maxPeers: { type: 'integer', minimum: 1, maximum: 10000 },
    uploadRateLimit: { type: 'integer', minimum: 0 },
    downloadRateLimit: { type: 'integer', minimum: 0 },
    trackers: { type: 'array', items: { type: 'string', maxLength: 2048 }, maxItems: 100 },
    // DHT and LSD (discovery.ts): stored now, applied at the daemon's next start.
    ...discoverySettingsSchema,
    // Accepted only to refuse them with a clear answer (they are not settings any more).
    allowedRoots: {},
    allowedFolders: {},
  },
} as const;
