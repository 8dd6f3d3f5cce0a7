/**
 * Proof of the network key without sending it: both sides contribute a fresh nonce, and each
 * proves the key with an HMAC over both identities, both advertised addresses and both nonces,
 * under a label that says which side it is (so one side's proof is never valid as the other's).
 * The caller proves first; the callee proves only to a caller that has (handshake.ts). The session
 * key for the following calls is derived the same way, and every message on a session carries an
 * HMAC over its direction, its sequence number and its bytes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const NONCE_LENGTH = 32;
export const REPLICA_ID_LENGTH = 16;
export const SESSION_ID_LENGTH = 16;
const MAC_LENGTH = 32;

export type Role = 'caller' | 'callee';
/** Messages from the caller of a session to the callee, or back. */
export type Direction = 'c2s' | 's2c';

export interface Transcript {
  callerId: Buffer;
  calleeId: Buffer;
  /** Where each side says its Replication service listens (the callee links back there). */
  callerAdvertise: string;
  calleeAdvertise: string;
  callerNonce: Buffer;
  calleeNonce: Buffer;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_LENGTH);
}

function hmac(key: Buffer, label: string, parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  h.update(`enjambre-knowme-v2 ${label}\0`);
  // Length prefixes keep the concatenation unambiguous.
  const len = Buffer.allocUnsafe(4);
  for (const part of parts) {
    len.writeUInt32BE(part.length, 0);
    h.update(len);
    h.update(part);
  }
  return h.digest();
}

function transcriptParts(t: Transcript): Buffer[] {
  return [
    t.callerId,
    t.calleeId,
    Buffer.from(t.callerAdvertise, 'utf8'),
    Buffer.from(t.calleeAdvertise, 'utf8'),
    t.callerNonce,
    t.calleeNonce,
  ];
}

/** What `role` sends to prove it knows the network key. */
export function proofFor(networkKey: Buffer, role: Role, t: Transcript): Buffer {
  return hmac(networkKey, role, transcriptParts(t));
}

export function checkProof(networkKey: Buffer, role: Role, t: Transcript, proof: Buffer): boolean {
  return macEquals(proofFor(networkKey, role, t), proof);
}

/** The key that signs this session's messages; both sides derive it, nobody sends it. */
export function sessionKey(networkKey: Buffer, t: Transcript): Buffer {
  return hmac(networkKey, 'session', transcriptParts(t));
}

/** Authenticates the replicas a Welcome lists with the session's key (see `knownMac` in the proto). */
export function knownMac(key: Buffer, known: string[]): Buffer {
  return hmac(
    key,
    'known',
    known.map((a) => Buffer.from(a, 'utf8')),
  );
}

export function signMessage(
  key: Buffer,
  direction: Direction,
  seq: number,
  payload: Buffer,
): Buffer {
  const seqBytes = Buffer.allocUnsafe(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(direction).update(seqBytes).update(payload).digest();
}

export function macEquals(expected: Buffer, actual: Buffer): boolean {
  return actual.length === MAC_LENGTH && timingSafeEqual(expected, actual);
}

/** Shortest network key accepted, in bytes: too long to guess, offline or not. */
export const MIN_KEY_BYTES = 32;
/** The placeholder the manifests ship (deploy/kubernetes/base/secret.yaml): never a real key. */
const PLACEHOLDER = /REPLACE-ME/i;
const MAKE_ONE = 'make one with `openssl rand -base64 48` (deploy/README.md)';

/**
 * The network key as bytes, or a one-line error for a key that must not be used: shorter than
 * MIN_KEY_BYTES, or the manifests' placeholder.
 */
export function networkKeyBytes(key: string): Buffer {
  const bytes = Buffer.from(key, 'utf8');
  if (PLACEHOLDER.test(key)) {
    throw new Error(`the network key (--red-key) is the manifests' placeholder: ${MAKE_ONE}`);
  }
  if (bytes.length < MIN_KEY_BYTES) {
    throw new Error(
      `the network key (--red-key) has ${bytes.length} bytes, at least ${MIN_KEY_BYTES} are needed: ${MAKE_ONE}`,
    );
  }
  return bytes;
}

/**
 * Caller nonces seen recently: a Hello that reuses one is a replay and is refused before any
 * work (a replay would fail at the proof anyway, because the callee's nonce is fresh).
 */
export class NonceLedger {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the nonce; false if it was seen within the TTL. */
  remember(nonce: Buffer): boolean {
    const now = this.now();
    const key = nonce.toString('latin1');
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.seen.delete(key);
    this.seen.set(key, now);
    // Oldest first (insertion order): drop expired ones, and the oldest beyond the cap.
    for (const [k, t] of this.seen) {
      if (this.seen.size <= this.max && now - t < this.ttlMs) break;
      this.seen.delete(k);
    }
    return true;
  }
}

/**
 * The receiving end of a session: accepts a message only if its MAC is right and its sequence
 * number is above every one accepted before, so captured messages cannot be replayed.
 */
export class SessionReceiver {
  private lastSeq = 0;

  constructor(
    private readonly key: Buffer,
    private readonly direction: Direction,
  ) {}

  accept(seq: number, payload: Buffer, mac: Buffer): 'ok' | 'bad-mac' | 'replayed' {
    if (!macEquals(signMessage(this.key, this.direction, seq, payload), mac)) return 'bad-mac';
    if (seq <= this.lastSeq) return 'replayed';
    this.lastSeq = seq;
    return 'ok';
  }
}

export class SessionSender {
  private seq = 0;

  constructor(
    private readonly key: Buffer,
    private readonly direction: Direction,
  ) {}

  sign(payload: Buffer): { seq: number; payload: Buffer; mac: Buffer } {
    this.seq++;
    return {
      seq: this.seq,
      payload,
      mac: signMessage(this.key, this.direction, this.seq, payload),
    };
  }
}
