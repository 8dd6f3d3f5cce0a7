/**
 * announce_peer tokens (BEP 5): a token handed out with get_peers proves the announcer can
 * receive at its address. It is a hash of the querier's IP and a secret that rotates every
 * 5 minutes; the previous secret is still accepted, so a token lives 5 to 10 minutes.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_ROTATE_MS = 5 * 60_000;
const TOKEN_LENGTH = 8;

export class TokenManager {
  private current: Buffer;
  private previous: Buffer;
  private rotatedAt: number;

  constructor(
    now: number,
    private readonly rotateMs = TOKEN_ROTATE_MS,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {
    this.current = random(16);
    this.previous = random(16);
    this.rotatedAt = now;
  }

  issue(ip: string, now: number): Buffer {
    this.rotate(now);
    return this.hash(this.current, ip);
  }

  check(token: Uint8Array, ip: string, now: number): boolean {
    this.rotate(now);
    if (token.length !== TOKEN_LENGTH) return false;
    return (
      Buffer.compare(token, this.hash(this.current, ip)) === 0 ||
      Buffer.compare(token, this.hash(this.previous, ip)) === 0
    );
  }

  private rotate(now: number): void {
    const elapsed = now - this.rotatedAt;
    if (elapsed < this.rotateMs) return;
    // after two periods or more, neither old secret may survive
    this.previous = elapsed >= 2 * this.rotateMs ? this.random(16) : this.current;
    this.current = this.random(16);
    this.rotatedAt = now;
  }

  private hash(secret: Buffer, ip: string): Buffer {
    return createHash('sha1').update(secret).update(ip).digest().subarray(0, TOKEN_LENGTH);
  }
}
