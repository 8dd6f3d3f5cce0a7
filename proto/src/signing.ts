import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * The bytes a catalog publisher signs with its ed25519 key (PublishRequest.signature,
 * WithdrawRequest.signature). Fixed layout, a domain tag per action, so a signature for one
 * request can never stand for another.
 */
export interface PublishSigned {
  infoHash: Uint8Array;
  signedAtMs: number;
  name: string;
  totalSize: number;
  fileCount: number;
}

const PUBLISH_TAG = Buffer.from('enjambre publish v1\n');
const WITHDRAW_TAG = Buffer.from('enjambre withdraw v1\n');
/** DER prefix of an ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

export function publishSignedBytes(p: PublishSigned): Buffer {
  const fixed = Buffer.alloc(20 + 8 + 8 + 4);
  Buffer.from(p.infoHash).copy(fixed, 0, 0, 20);
  fixed.writeBigUInt64BE(BigInt(p.signedAtMs), 20);
  fixed.writeBigUInt64BE(BigInt(p.totalSize), 28);
  fixed.writeUInt32BE(p.fileCount, 36);
  return Buffer.concat([PUBLISH_TAG, fixed, Buffer.from(p.name, 'utf8')]);
}

export function withdrawSignedBytes(infoHash: Uint8Array, signedAtMs: number): Buffer {
  const fixed = Buffer.alloc(28);
  Buffer.from(infoHash).copy(fixed, 0, 0, 20);
  fixed.writeBigUInt64BE(BigInt(signedAtMs), 20);
  return Buffer.concat([WITHDRAW_TAG, fixed]);
}

/** The raw 32-byte public key of an ed25519 key (public or private). */
export function rawPublicKey(key: KeyObject): Buffer {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(ED25519_SPKI.length));
}

export function signBytes(privateKey: KeyObject, bytes: Buffer): Buffer {
  return sign(null, bytes, privateKey);
}

/**
 * Encodings of the small-order points of the curve (and their non-canonical forms): a key made
 * of one of them "verifies" forged signatures (the all-zero key accepts the all-zero signature
 * for any message), so such keys are refused outright.
 */
const WEAK_KEYS = new Set([
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

/** Whether `signature` is `raw`'s ed25519 signature of `bytes`; false for any malformed input. */
export function verifySignature(raw: Uint8Array, bytes: Buffer, signature: Uint8Array): boolean {
  if (raw.length !== 32 || signature.length !== 64) return false;
  if (WEAK_KEYS.has(Buffer.from(raw).toString('hex'))) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI, Buffer.from(raw)]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, bytes, key, signature);
  } catch {
    return false;
  }
}
