/**
 * Every parser in this package fails with a ProtocolError (or a subclass), never with a bare
 * TypeError or RangeError: callers that read hostile input catch exactly this type, and fuzz tests
 * assert that nothing else escapes.
 */
export class ProtocolError extends Error {
  constructor(
    /** Stable, machine-readable reason, e.g. `bencode.leading-zero`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BencodeError extends ProtocolError {}
export class MetainfoError extends ProtocolError {}
export class MagnetError extends ProtocolError {}
export class WireError extends ProtocolError {}
export class TrackerCodecError extends ProtocolError {}
