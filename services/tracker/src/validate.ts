/**
 * Checks shared by the front ends. Each returns a message naming the bad field, which the front
 * end turns into its protocol's error (INVALID_ARGUMENT, `failure reason`, a UDP error packet).
 */
export const MAX_NUMWANT_ACCEPTED = 10_000;
export const MAX_SCRAPE_HASHES = 74;
export const MAX_NAME_BYTES = 1024;

export class InvalidRequest extends Error {
  constructor(
    message: string,
    /** Short, stable label for the errors metric. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

export function checkInfoHash(b: Uint8Array, field = 'info_hash'): void {
  if (b.length !== 20)
    throw new InvalidRequest(`${field} must be 20 bytes, got ${b.length}`, 'bad_info_hash');
}

export function checkPeerId(b: Uint8Array): void {
  if (b.length !== 20)
    throw new InvalidRequest(`peer_id must be 20 bytes, got ${b.length}`, 'bad_peer_id');
}

export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidRequest(`port must be 1..65535, got ${port}`, 'bad_port');
}

export function checkNumwant(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_NUMWANT_ACCEPTED)
    throw new InvalidRequest(`numwant must be 0..${MAX_NUMWANT_ACCEPTED}, got ${n}`, 'bad_numwant');
}

export function checkAmount(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidRequest(`${field} must be a non-negative integer`, 'bad_amount');
}
