/**
 * The request line and the few headers of an HTTP/1.x request head (everything before the blank
 * line, as latin1) that change how the tracker answers. Pure and total: any input gives a head
 * or an error with the status to answer, never an exception.
 */
export interface RequestHead {
  method: string;
  /** Path and query as sent. */
  target: string;
  keepAlive: boolean;
  /** The X-Forwarded-For value (only read when asked for), else null. */
  forwardedFor: string | null;
  /** A Content-Length other than 0 or any Transfer-Encoding. */
  hasBody: boolean;
}

export interface HeadError {
  status: 400 | 505;
  reason: string;
  message: string;
}

export function parseRequestHead(head: string, readForwardedFor: boolean): RequestHead | HeadError {
  const lineEnd = head.indexOf('\r\n');
  const line = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
    return { status: 400, reason: 'bad_request_line', message: 'malformed request line' };
  }
  const version = line.slice(sp2 + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') {
    return { status: 505, reason: 'bad_version', message: 'only HTTP/1.0 and HTTP/1.1' };
  }
  const result: RequestHead = {
    method: line.slice(0, sp1),
    target: line.slice(sp1 + 1, sp2),
    keepAlive: version === 'HTTP/1.1',
    forwardedFor: null,
    hasBody: false,
  };
  let pos = lineEnd < 0 ? head.length : lineEnd + 2;
  while (pos < head.length) {
    let next = head.indexOf('\r\n', pos);
    if (next < 0) next = head.length;
    const colon = head.indexOf(':', pos);
    if (colon <= pos || colon > next) {
      return { status: 400, reason: 'bad_header', message: 'malformed header' };
    }
    // Only names of these lengths can matter: connection, content-length, transfer-encoding,
    // x-forwarded-for. The rest is skipped without allocating.
    const nameLength = colon - pos;
    if (nameLength === 10 || nameLength === 14 || nameLength === 15 || nameLength === 17) {
      const name = head.slice(pos, colon).toLowerCase();
      const value = head.slice(colon + 1, next).trim();
      if (name === 'connection') {
        const v = value.toLowerCase();
        if (v === 'close') result.keepAlive = false;
        else if (v === 'keep-alive') result.keepAlive = true;
      } else if (name === 'content-length') result.hasBody ||= value !== '0';
      else if (name === 'transfer-encoding') result.hasBody = true;
      else if (name === 'x-forwarded-for' && readForwardedFor)
        // Several headers form one list, in order (RFC 9110 5.3).
        result.forwardedFor =
          result.forwardedFor === null ? value : `${result.forwardedFor}, ${value}`;
    }
    pos = next + 2;
  }
  return result;
}
