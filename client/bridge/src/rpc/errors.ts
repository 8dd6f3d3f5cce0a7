/**
 * An error a remote-control client caused. The Transmission RPC reports it as its `result`
 * string (HTTP 200, as Transmission does), the qBittorrent WebAPI as this status and message.
 */
export class RpcError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}
