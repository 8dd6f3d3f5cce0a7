/**
 * KnowMe over a gRPC stream, both sides. The caller proves the key first: until its Proof checks
 * out, the callee has sent nothing derived from the key (only its id, a fresh nonce and its
 * address), so anyone who can reach the replication port gets no answer to test guesses of the key
 * against. Then the callee proves the key back with a session id that one later call (RePublish
 * or Snapshot) consumes. The caller only proves to an address from the peers file, or to one a
 * replica gave after proving the key (see STATE.md).
 */
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { replication } from '@enjambre/proto';
import {
  NONCE_LENGTH,
  NonceLedger,
  REPLICA_ID_LENGTH,
  SESSION_ID_LENGTH,
  checkProof,
  knownMac,
  macEquals,
  newNonce,
  proofFor,
  sessionKey,
  type Transcript,
} from './auth';

export const SESSION_METADATA = 'enjambre-session';
export const PROTOCOL_VERSION = 2;
const SELF_DETAILS = 'self: a replica cannot introduce itself to itself';
const WRONG_KEY = 'wrong network key';
/** Replicas a Welcome lists at most: a key holder can point a replica at no more than these. */
export const MAX_KNOWN = 16;
const MAX_ADVERTISE = 300;

/** A "host:port" another replica could dial (what KnowMe accepts as an advertise address). */
export function isDialable(address: string): boolean {
  return (
    address.length > 0 &&
    address.length <= MAX_ADVERTISE &&
    /^[A-Za-z0-9.\-[\]:]+:\d+$/.test(address)
  );
}

export interface Identity {
  replicaId: Buffer;
  networkKey: Buffer;
  /** Where our Replication service listens, "host:port". */
  advertise: string;
}

export interface Session {
  id: Buffer;
  key: Buffer;
  peerId: Buffer;
  peerAdvertise: string;
  /** The replicas the callee's Welcome listed (caller side only). */
  known?: string[];
}

export class HandshakeError extends Error {
  constructor(
    message: string,
    readonly reason: 'auth' | 'self' | 'malformed' | 'replayed',
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

/** Sessions granted by KnowMe and not yet used; each is consumed by one call. */
export class SessionTable {
  private readonly sessions = new Map<string, Session & { at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  grant(s: Session): void {
    const now = this.now();
    for (const [k, v] of this.sessions) {
      if (this.sessions.size < this.max && now - v.at < this.ttlMs) break;
      this.sessions.delete(k);
    }
    this.sessions.set(s.id.toString('hex'), { ...s, at: now });
  }

  /** The session named in the call's metadata, removed from the table; null if unknown. */
  take(metadata: grpc.Metadata): Session | null {
    const value = metadata.get(SESSION_METADATA)[0];
    if (typeof value !== 'string' || value.length !== SESSION_ID_LENGTH * 2) return null;
    const s = this.sessions.get(value);
    if (s === undefined) return null;
    this.sessions.delete(value);
    return this.now() - s.at < this.ttlMs ? s : null;
  }
}

type KnowMeCall = grpc.ServerDuplexStream<replication.KnowMeRequest, replication.KnowMeResponse>;

/**
 * The callee's side. Calls `onSession` once the caller has proved the key; refuses a replayed
 * Hello, a wrong proof, and anything out of order. `known` gives the advertise addresses of the
 * replicas we have live links with, for the Welcome.
 */
export function serveKnowMe(
  call: KnowMeCall,
  me: Identity,
  ledger: NonceLedger,
  onSession: (s: Session) => void,
  onRefused: (err: HandshakeError, peer: string) => void,
  known: () => string[] = () => [],
): void {
  let transcript: Transcript | null = null;
  let peerAdvertise = '';
  let done = false;
  const refuse = (err: HandshakeError, code: grpc.status) => {
    if (done) return;
    done = true;
    onRefused(err, call.getPeer());
    call.emit('error', { code, details: err.message });
  };
  const timer = setTimeout(
    () =>
      refuse(
        new HandshakeError('KnowMe took too long', 'malformed'),
        grpc.status.DEADLINE_EXCEEDED,
      ),
    10_000,
  );
  timer.unref();
  call.on('error', () => clearTimeout(timer));
  const ended = () => {
    clearTimeout(timer);
    if (done) return;
    refuse(new HandshakeError('KnowMe ended early', 'malformed'), grpc.status.CANCELLED);
  };
  call.on('end', ended);
  call.on('cancelled', ended);
  call.on('data', (msg: replication.KnowMeRequest) => {
    if (done) return;
    if (msg.hello !== undefined && transcript === null) {
      const h = msg.hello;
      if (h.version !== PROTOCOL_VERSION) {
        return refuse(
          new HandshakeError(
            `unsupported KnowMe version ${h.version} (this replica speaks ${PROTOCOL_VERSION}: upgrade every replica)`,
            'malformed',
          ),
          grpc.status.FAILED_PRECONDITION,
        );
      }
      if (
        h.replicaId.length !== REPLICA_ID_LENGTH ||
        h.nonce.length !== NONCE_LENGTH ||
        h.advertise.length > MAX_ADVERTISE
      ) {
        return refuse(
          new HandshakeError('malformed Hello', 'malformed'),
          grpc.status.INVALID_ARGUMENT,
        );
      }
      if (h.replicaId.equals(me.replicaId)) {
        return refuse(new HandshakeError(SELF_DETAILS, 'self'), grpc.status.FAILED_PRECONDITION);
      }
      if (!ledger.remember(h.nonce)) {
        return refuse(
          new HandshakeError('replayed Hello (nonce already used)', 'replayed'),
          grpc.status.PERMISSION_DENIED,
        );
      }
      transcript = {
        callerId: h.replicaId,
        calleeId: me.replicaId,
        callerAdvertise: h.advertise,
        calleeAdvertise: me.advertise,
        callerNonce: h.nonce,
        calleeNonce: newNonce(),
      };
      peerAdvertise = h.advertise;
      // Nothing derived from the key before the caller has proved it holds the key.
      call.write({
        challenge: {
          replicaId: me.replicaId,
          nonce: transcript.calleeNonce,
          proof: Buffer.alloc(0),
          advertise: me.advertise,
        },
      });
      return;
    }
    if (msg.proof !== undefined && transcript !== null) {
      if (!checkProof(me.networkKey, 'caller', transcript, msg.proof.proof)) {
        return refuse(new HandshakeError(WRONG_KEY, 'auth'), grpc.status.PERMISSION_DENIED);
      }
      done = true;
      clearTimeout(timer);
      const session: Session = {
        id: randomBytes(SESSION_ID_LENGTH),
        key: sessionKey(me.networkKey, transcript),
        peerId: transcript.callerId,
        peerAdvertise,
      };
      onSession(session);
      const others = [
        ...new Set(
          known().filter((a) => a !== peerAdvertise && a !== me.advertise && isDialable(a)),
        ),
      ].slice(0, MAX_KNOWN);
      call.write({
        welcome: {
          sessionId: session.id,
          proof: proofFor(me.networkKey, 'callee', transcript),
          known: others,
          knownMac: knownMac(session.key, others),
        },
      });
      call.end();
      return;
    }
    refuse(
      new HandshakeError('KnowMe messages out of order', 'malformed'),
      grpc.status.INVALID_ARGUMENT,
    );
  });
}

/** The caller's side: resolves with a session, or rejects with a HandshakeError or gRPC error. */
export function callKnowMe(
  client: replication.ReplicationClient,
  me: Identity,
  timeoutMs: number,
): Promise<Session> {
  return new Promise((resolve, reject) => {
    const call = client.knowMe({ deadline: Date.now() + timeoutMs });
    const callerNonce = newNonce();
    let transcript: Transcript | null = null;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      call.cancel();
      reject(err);
    };
    call.on('error', (err: grpc.ServiceError) => {
      // The callee saw our own id: the address we dialed is this replica.
      if (err.code === grpc.status.FAILED_PRECONDITION && err.details === SELF_DETAILS) {
        fail(new HandshakeError('dialed ourselves', 'self'));
      } else if (err.code === grpc.status.PERMISSION_DENIED && err.details === WRONG_KEY) {
        fail(new HandshakeError('the other replica has a different network key', 'auth'));
      } else if (err.code === grpc.status.UNIMPLEMENTED) {
        // Before Replication had its own port, peers files listed the client gRPC port.
        fail(
          new HandshakeError(
            'no Replication service there: is it the client gRPC port? The peers file must list ' +
              'the replication port (--replication-port, deploy/README.md "Upgrading")',
            'malformed',
          ),
        );
      } else fail(err);
    });
    call.on('end', () => fail(new HandshakeError('KnowMe ended without a session', 'malformed')));
    call.on('data', (msg: replication.KnowMeResponse) => {
      if (settled) return;
      if (msg.challenge !== undefined && transcript === null) {
        const c = msg.challenge;
        if (
          c.replicaId.length !== REPLICA_ID_LENGTH ||
          c.nonce.length !== NONCE_LENGTH ||
          c.advertise.length > MAX_ADVERTISE
        ) {
          return fail(new HandshakeError('malformed Challenge', 'malformed'));
        }
        if (c.proof.length !== 0) {
          // A version 1 callee, which proves first: upgrade it (KnowMe v2 in STATE.md).
          return fail(new HandshakeError('the other replica speaks KnowMe version 1', 'malformed'));
        }
        if (c.replicaId.equals(me.replicaId))
          return fail(new HandshakeError('dialed ourselves', 'self'));
        transcript = callerTranscript(me.replicaId, me.advertise, callerNonce, c);
        call.write({ proof: { proof: proofFor(me.networkKey, 'caller', transcript) } });
        return;
      }
      if (msg.welcome !== undefined && transcript !== null) {
        if (msg.welcome.sessionId.length !== SESSION_ID_LENGTH) {
          return fail(new HandshakeError('malformed Welcome', 'malformed'));
        }
        if (!checkProof(me.networkKey, 'callee', transcript, msg.welcome.proof)) {
          return fail(new HandshakeError('the other replica has a different network key', 'auth'));
        }
        const key = sessionKey(me.networkKey, transcript);
        const known = msg.welcome.known;
        if (known.length > MAX_KNOWN || !known.every(isDialable)) {
          return fail(new HandshakeError('malformed Welcome (known replicas)', 'malformed'));
        }
        // A replica from before the list sends neither (a rolling upgrade): nothing to check.
        const unlisted = known.length === 0 && msg.welcome.knownMac.length === 0;
        if (!unlisted && !macEquals(knownMac(key, known), msg.welcome.knownMac)) {
          return fail(new HandshakeError('Welcome altered (known replicas)', 'auth'));
        }
        settled = true;
        call.end();
        resolve({
          id: msg.welcome.sessionId,
          key,
          peerId: transcript.calleeId,
          peerAdvertise: transcript.calleeAdvertise,
          known,
        });
        return;
      }
      fail(new HandshakeError('KnowMe messages out of order', 'malformed'));
    });
    call.write({
      hello: {
        replicaId: me.replicaId,
        nonce: callerNonce,
        advertise: me.advertise,
        version: PROTOCOL_VERSION,
      },
    });
  });
}

/** What the caller proves over, once the callee's Challenge has arrived. */
export function callerTranscript(
  callerId: Buffer,
  callerAdvertise: string,
  callerNonce: Buffer,
  c: replication.Challenge,
): Transcript {
  return {
    callerId,
    calleeId: c.replicaId,
    callerAdvertise,
    calleeAdvertise: c.advertise,
    callerNonce,
    calleeNonce: c.nonce,
  };
}

export function sessionMetadata(s: Session): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(SESSION_METADATA, s.id.toString('hex'));
  return md;
}
