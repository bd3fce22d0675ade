import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Passes rejections to next(): Express 4 (a supported peer) does not do it for async handlers. */
export const asyncRoute =
  (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

/** Browsers ask for text/html; API clients and `Accept: *\/*` get JSON. */
export const prefersHtml = (req: Request): boolean => req.accepts(['json', 'html']) === 'html';

/**
 * Continues a middleware once `pending` settles, unless the request was answered meanwhile (the
 * SCIM router's database deadline answers 503 while a store call hangs): the late outcome is
 * dropped, a rejection or a throw in `then` goes to next() while the request is still open, and
 * neither ever reaches the process. The connector runs inside the host's process; an
 * unhandled rejection or an answer after an answer (ERR_HTTP_HEADERS_SENT) would take it down.
 */
export function continueWhenSettled<T>(
  pending: Promise<T>,
  res: Response,
  next: NextFunction,
  then: (value: T) => void,
): void {
  pending
    .then((value) => {
      if (!res.headersSent) then(value);
    })
    .catch((error: unknown) => {
      if (!res.headersSent) next(error);
    });
}
