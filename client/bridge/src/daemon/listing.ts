import type { TorrentStatus } from '@enjambre/engine';
import { badRequest } from './http-error';
import { torrentStatus } from './schemas';

/** The fields a listing may select: those of the status schema. */
export const STATUS_FIELDS = Object.keys(torrentStatus.properties) as Array<keyof TorrentStatus>;

export interface ListQuery {
  offset?: number;
  limit?: number;
  /** Comma-separated field names; all fields when absent. */
  fields?: string;
}

/** Parses `fields=a,b,c` against the status fields; a 400 names the unknown ones. */
export function parseFields(fields: string | undefined): Array<keyof TorrentStatus> | undefined {
  if (fields === undefined || fields.trim() === '') return undefined;
  const asked = [
    ...new Set(
      fields
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = asked.filter((f) => !(STATUS_FIELDS as string[]).includes(f));
  if (unknown.length > 0) {
    throw badRequest(
      `unknown field ${unknown.join(', ')} (fields are ${STATUS_FIELDS.join(', ')})`,
    );
  }
  return asked as Array<keyof TorrentStatus>;
}

/** The window [offset, offset + limit) of a list (all of it from offset without a limit). */
export function page<T>(list: readonly T[], offset = 0, limit?: number): T[] {
  return list.slice(offset, limit === undefined ? undefined : offset + limit);
}

/** Only the chosen fields of a status (every one when `fields` is undefined). */
export function pick(
  s: TorrentStatus,
  fields: Array<keyof TorrentStatus> | undefined,
): Partial<TorrentStatus> {
  if (!fields) return s;
  const out: Partial<TorrentStatus> = {};
  for (const f of fields) {
    if (s[f] !== undefined) (out as Record<string, unknown>)[f] = s[f];
  }
  return out;
}
