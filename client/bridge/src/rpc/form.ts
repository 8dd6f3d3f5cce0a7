import { RpcError } from './errors';

export interface FormFile {
  field: string;
  filename: string;
  data: Buffer;
}

/** A request's parameters: the query string, then a url-encoded or multipart body. */
export interface Form {
  fields: Map<string, string>;
  files: FormFile[];
}

const MAX_PARTS = 1000;
const MAX_PART_HEADER = 8 * 1024;

export function emptyForm(): Form {
  return { fields: new Map(), files: [] };
}

/** Adds `a=1&b=2` pairs; a repeated name keeps its first value, as qBittorrent reads them. */
export function addUrlEncoded(form: Form, text: string): void {
  for (const [k, v] of new URLSearchParams(text)) {
    if (!form.fields.has(k)) form.fields.set(k, v);
  }
}

/** Reads a body by its content type into `form`; unknown types and broken bodies are 4xx. */
export function addBody(form: Form, contentType: string | undefined, body: Buffer): void {
  if (body.length === 0) return;
  const type = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    addUrlEncoded(form, body.toString('utf8'));
    return;
  }
  if (type === 'multipart/form-data') {
    const m = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType ?? '');
    if (!m) throw new RpcError(400, 'multipart body without a boundary');
    addMultipart(form, body, m[1] ?? m[2]);
    return;
  }
  throw new RpcError(415, `unsupported content type: ${type.slice(0, 80)}`);
}

/**
 * RFC 7578 multipart/form-data: parts between `--boundary` lines, each with headers naming the
 * field (`Content-Disposition: form-data; name="…"; filename="…"`). A part with a filename is a
 * file, whatever its field name (clients use `torrents`, `file`, `fileselect[]`…).
 */
function addMultipart(form: Form, body: Buffer, boundary: string): void {
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new RpcError(400, 'malformed multipart body: no boundary line');
  let parts = 0;
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return; // "--": the closing delimiter
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else throw new RpcError(400, 'malformed multipart body: bad boundary line');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > MAX_PART_HEADER) {
      throw new RpcError(400, 'malformed multipart body: part headers');
    }
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new RpcError(400, 'malformed multipart body: unterminated part');
    if (++parts > MAX_PARTS) throw new RpcError(400, `more than ${MAX_PARTS} parts`);
    const data = body.subarray(headerEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers);
    if (!disposition) throw new RpcError(400, 'malformed multipart body: no Content-Disposition');
    const name = param(disposition[1], 'name');
    const filename = param(disposition[1], 'filename');
    if (name === undefined)
      throw new RpcError(400, 'malformed multipart body: part without a name');
    if (filename !== undefined) {
      form.files.push({ field: name, filename, data: Buffer.from(data) });
    } else if (!form.fields.has(name)) {
      form.fields.set(name, data.toString('utf8'));
    }
    pos = next + 2;
  }
}

function param(header: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}
