import type { Request } from 'express';

/** The raw query string: openid-client must see the authorization response exactly as sent. */
export function rawQuery(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}
