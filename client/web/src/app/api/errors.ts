import { HttpErrorResponse } from '@angular/common/http';

/**
 * Turns any failure of a bridge call into one sentence a user understands. The bridge already
 * answers `{ error: "words" }`; transport failures and bare statuses get words here.
 */
export function describeError(err: unknown): string {
  if (err instanceof HttpErrorResponse) {
    const body: unknown = err.error;
    const said =
      body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
        ? (body as { error: string }).error
        : typeof body === 'string' && body.trim() !== '' && body.length < 300 && !body.includes('<')
          ? body
          : undefined;
    switch (err.status) {
      case 0:
        return 'Cannot reach the bridge. Is `enjambre start` still running?';
      case 401:
        return 'The bridge refused the access token. Open the URL the bridge printed.';
      case 403:
        return sentence(said ?? 'The bridge refused this request.');
      case 404:
        return sentence(said ?? 'Not found: it may have been removed.');
      case 507:
        return sentence(said ?? 'The disk is full.');
    }
    if (said) return sentence(said);
    if (err.status >= 500) {
      return `The bridge failed (status ${err.status}). Its log has the details.`;
    }
    return `The bridge answered status ${err.status}.`;
  }
  if (err instanceof Error) return sentence(err.message);
  return 'Something went wrong.';
}

/** Capitalized, ending with a period: the bridge's messages are lower-case fragments. */
function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return 'Something went wrong.';
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
