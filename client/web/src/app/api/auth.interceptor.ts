import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { TokenService } from './token';

/** Adds `Authorization: Bearer TOKEN` to every /api/ call and notices when it is refused. */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const tokens = inject(TokenService);
  const token = tokens.token();
  const isApi = req.url.startsWith('/api/');
  const authed =
    isApi && token !== undefined
      ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } })
      : req;
  return next(authed).pipe(
    tap({
      error: (err: unknown) => {
        if (isApi && err instanceof HttpErrorResponse && err.status === 401) tokens.markRejected();
      },
    }),
  );
};
