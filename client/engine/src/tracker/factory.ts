import type { KeyObject } from 'node:crypto';
import type { EngineLogger } from '../api';
import type { TrackerClient } from './client';
import { HttpTrackerClient } from './http';
import { UdpTrackerClient } from './udp';

/** The client for an announce URL by its scheme; undefined for schemes we do not speak. */
export function createTrackerClient(
  url: string,
  opts: { logger?: EngineLogger; publisherKey?: KeyObject } = {},
): TrackerClient | undefined {
  try {
    const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
    if (scheme === 'http' || scheme === 'https') return new HttpTrackerClient(url);
    if (scheme === 'udp') return new UdpTrackerClient(url);
    if (scheme === 'grpc' || scheme === 'grpcs') {
      // loaded on first use: gRPC is a large module most sessions never need
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { GrpcTrackerClient } = require('./grpc') as typeof import('./grpc');
      return new GrpcTrackerClient(url, opts.publisherKey);
    }
  } catch (err) {
    opts.logger?.warn({ url, err: (err as Error).message }, 'unusable tracker URL');
  }
  return undefined;
}
