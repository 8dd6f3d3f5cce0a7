/**
 * A `WireHandler` that turns decoded messages into `WireMessage` objects, for code that prefers a
 * list to callbacks (tests, tools, the metadata fetcher). The engine's hot path implements
 * `WireHandler` directly instead.
 */
import { WireDecoder, WireDecoderOptions, WireHandler } from './decoder';
import { Handshake } from './handshake';
import { HashMessageId, parseHashRequest, parseHashes } from './hash-messages';
import { WireMessage } from './messages';

export type WireEvent = { type: 'handshake'; handshake: Handshake } | WireMessage;

export class MessageCollector implements WireHandler {
  readonly events: WireEvent[] = [];

  /** Returns the events collected so far and starts a new list. */
  take(): WireEvent[] {
    return this.events.splice(0, this.events.length);
  }

  onHandshake(handshake: Handshake): void {
    this.events.push({ type: 'handshake', handshake });
  }
  onKeepAlive(): void {
    this.events.push({ type: 'keep-alive' });
  }
  onChoke(): void {
    this.events.push({ type: 'choke' });
  }
  onUnchoke(): void {
    this.events.push({ type: 'unchoke' });
  }
  onInterested(): void {
    this.events.push({ type: 'interested' });
  }
  onNotInterested(): void {
    this.events.push({ type: 'not-interested' });
  }
  onHave(index: number): void {
    this.events.push({ type: 'have', index });
  }
  onBitfield(bitfield: Buffer): void {
    this.events.push({ type: 'bitfield', bitfield });
  }
  onRequest(index: number, begin: number, length: number): void {
    this.events.push({ type: 'request', index, begin, length });
  }
  onPiece(index: number, begin: number, block: Buffer): void {
    this.events.push({ type: 'piece', index, begin, block });
  }
  onCancel(index: number, begin: number, length: number): void {
    this.events.push({ type: 'cancel', index, begin, length });
  }
  onPort(port: number): void {
    this.events.push({ type: 'port', port });
  }
  onSuggest(index: number): void {
    this.events.push({ type: 'suggest', index });
  }
  onHaveAll(): void {
    this.events.push({ type: 'have-all' });
  }
  onHaveNone(): void {
    this.events.push({ type: 'have-none' });
  }
  onReject(index: number, begin: number, length: number): void {
    this.events.push({ type: 'reject', index, begin, length });
  }
  onAllowedFast(index: number): void {
    this.events.push({ type: 'allowed-fast', index });
  }
  onExtended(id: number, payload: Buffer): void {
    this.events.push({ type: 'extended', id, payload });
  }
  onUnknown(id: number, payload: Buffer): void {
    this.events.push({ type: 'unknown', id, payload });
  }
  onHashMessage(id: number, payload: Buffer): void {
    if (id === HashMessageId.Hashes) {
      const { request, hashes } = parseHashes(payload);
      this.events.push({ type: 'hashes', ...request, hashes });
    } else {
      const type = id === HashMessageId.HashRequest ? 'hash-request' : 'hash-reject';
      this.events.push({ type, ...parseHashRequest(payload) });
    }
  }
}

/** Decodes a whole byte stream given as chunks; throws `WireError` on a protocol error. */
export function decodeWireStream(
  chunks: Iterable<Buffer>,
  options: WireDecoderOptions = {},
): WireEvent[] {
  const collector = new MessageCollector();
  const decoder = new WireDecoder(collector, options);
  for (const c of chunks) decoder.push(c);
  return collector.events;
}
