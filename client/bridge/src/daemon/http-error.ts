/** An error a client caused, answered with its status and `{ error: message }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);

/** 409 for a torrent that is already in the session; says which one. */
export class AlreadyAdded extends HttpError {
  constructor(
    readonly infoHash: string,
    name: string,
  ) {
    super(409, `already added: ${name}`);
  }
}
