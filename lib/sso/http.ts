import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PAGE_HEADERS } from '../../views/layout.js';

/** Passes rejections to next(): Express 4 (a supported peer) does not do it for async handlers. */
export const asyncRoute = (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => { fn(req, res, next).catch(next); };

export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}

/** Browsers ask for text/html; API clients and `Accept: *\/*` get JSON. */
export const prefersHtml = (req: Request): boolean => req.accepts(['json', 'html']) === 'html';

/** The raw query string: openid-client must see the authorization response exactly as sent. */
export function rawQuery(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}
