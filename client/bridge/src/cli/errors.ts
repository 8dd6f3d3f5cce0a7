import { ProtocolError } from '@enjambre/bittorrent';

/** A failure the user can fix: printed as one line, exit code 1 unless said otherwise. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

const FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder',
  ENOTDIR: 'not a folder',
  ENOSPC: 'the disk is full',
  EADDRINUSE: 'the port is already in use',
  EEXIST: 'already exists',
};

/** One line for any error: our own words when we know the cause, the message otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof UserError || err instanceof ProtocolError) return err.message;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e && typeof e.code === 'string' && FS_CODES[e.code]) {
    const where = e.path ?? (e.port !== undefined ? `${e.address ?? ''}:${e.port}` : undefined);
    return where ? `${FS_CODES[e.code]}: ${where}` : FS_CODES[e.code];
  }
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n', 1)[0];
}
