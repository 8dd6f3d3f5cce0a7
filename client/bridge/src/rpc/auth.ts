import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { tokenMatches } from '../daemon/token';
import type { BridgeState, RpcCredentials } from '../daemon/state';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;

const KEY_LENGTH = 32;
/** Passwords longer than this are refused before hashing: scrypt's cost grows with the input. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Who may use the remote-control APIs. By default any user name with the daemon's access token as
 * the password (so a tool needs nothing the GUI's user does not already have); once the user sets
 * a user name and password, exactly those, the password kept only as an scrypt hash.
 */
export class RpcAuth {
  private custom: RpcCredentials | undefined;
  /**
   * SHA-256 of pairs that passed scrypt lately: Basic auth sends the password on every request
   * (Flood polls each second) and scrypt costs tens of milliseconds by design.
   */
  private readonly verified = new Set<string>();

  constructor(
    private readonly token: string,
    private readonly state: BridgeState,
  ) {}

  async load(): Promise<void> {
    this.custom = await this.state.getRpcCredentials();
  }

  /** The user name set in Settings, if any (never the password or its hash). */
  get username(): string | undefined {
    return this.custom?.username;
  }

  async verify(username: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH || username.length > MAX_PASSWORD_LENGTH) {
      return false;
    }
    const custom = this.custom;
    if (!custom) return tokenMatches(this.token, password);
    const key = createHash('sha256').update(`${username}\0${password}`).digest('base64');
    if (this.verified.has(key)) return true;
    const hash = await scryptAsync(password, Buffer.from(custom.salt, 'base64'), KEY_LENGTH);
    const expected = Buffer.from(custom.hash, 'base64');
    const userOk = tokenMatches(custom.username, username);
    const ok = expected.length === hash.length && timingSafeEqual(expected, hash) && userOk;
    if (ok && custom === this.custom) {
      if (this.verified.size >= 16) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }

  /** Sets the user's own credentials, or with `undefined` goes back to the token. */
  async set(credentials: { username: string; password: string } | undefined): Promise<void> {
    this.verified.clear();
    if (!credentials) {
      await this.state.putRpcCredentials(undefined);
      this.custom = undefined;
      this.verified.clear();
      return;
    }
    const salt = randomBytes(16);
    const hash = await scryptAsync(credentials.password, salt, KEY_LENGTH);
    const next: RpcCredentials = {
      username: credentials.username,
      salt: salt.toString('base64'),
      hash: hash.toString('base64'),
    };
    await this.state.putRpcCredentials(next);
    this.custom = next;
    // Again: a check that started before the change may have finished meanwhile.
    this.verified.clear();
  }
}

/** `Authorization: Basic …` as user and password; undefined when absent or malformed. */
export function parseBasic(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,4096})$/i.exec(header.trim());
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * qBittorrent's defence against password guessing: after `maxFailures` failed logins from one
 * address, that address is refused for `banMs`. Bounded: at most `maxTracked` addresses are
 * remembered (the oldest forgotten first), so a flood of addresses cannot grow it.
 */
export class LoginBans {
  private readonly failures = new Map<string, { count: number; bannedUntil: number }>();

  constructor(
    private readonly maxFailures = 5,
    private readonly banMs = 60 * 60 * 1000,
    private readonly maxTracked = 10_000,
  ) {}

  banned(address: string, now = Date.now()): boolean {
    const f = this.failures.get(address);
    if (!f) return false;
    if (f.bannedUntil > 0 && f.bannedUntil <= now) {
      this.failures.delete(address);
      return false;
    }
    return f.bannedUntil > now;
  }

  failed(address: string, now = Date.now()): void {
    const f = this.failures.get(address) ?? { count: 0, bannedUntil: 0 };
    f.count += 1;
    if (f.count >= this.maxFailures) f.bannedUntil = now + this.banMs;
    this.failures.delete(address);
    this.failures.set(address, f);
    if (this.failures.size > this.maxTracked) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}

/** qBittorrent's `SID` cookies: random, expiring after an hour without use, bounded in number. */
export class WebSessions<T> {
  private readonly sessions = new Map<string, { expires: number; data: T }>();

  constructor(
    private readonly create: () => T,
    private readonly idleMs = 60 * 60 * 1000,
    private readonly max = 256,
  ) {}

  open(now = Date.now()): string {
    const sid = randomBytes(24).toString('base64url');
    this.sessions.set(sid, { expires: now + this.idleMs, data: this.create() });
    if (this.sessions.size > this.max) {
      this.sessions.delete(this.sessions.keys().next().value as string);
    }
    return sid;
  }

  /** The session's data, refreshing its expiry; undefined for an unknown or expired SID. */
  get(sid: string | undefined, now = Date.now()): T | undefined {
    if (sid === undefined) return undefined;
    const s = this.sessions.get(sid);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.sessions.delete(sid);
      return undefined;
    }
    s.expires = now + this.idleMs;
    // Most recently used last, so the bound drops the idlest first.
    this.sessions.delete(sid);
    this.sessions.set(sid, s);
    return s.data;
  }

  close(sid: string | undefined): void {
    if (sid !== undefined) this.sessions.delete(sid);
  }

  /** Every session ends, e.g. when the credentials change. */
  clear(): void {
    this.sessions.clear();
  }
}
