import type { Request, Response } from 'express';
import { PAGE_HEADERS } from '../../views/layout.js';

export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).type('html').send(html);
}

/** The raw query string: openid-client must see the authorization response exactly as sent. */
export function rawQuery(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}
