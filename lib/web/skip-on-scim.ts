import type { RequestHandler } from 'express';

/**
 * The connector's SCIM paths under a mount path: `{mountPath}/scim/…` (and `/scim/v2/…`) and a
 * connector's own endpoint `{mountPath}/{scimEndpoint}/scim/…`. Case-insensitive, as Express matches.
 */
export function scimPathPattern(mountPath: string): RegExp {
  const escaped = mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}/(?:[^/]+/)?scim(?:/|$)`, 'i');
}

/**
 * The host's middleware for browsers (sessions, `passport.session()`, CSRF) with the connector's
 * SCIM paths left out: Entra provisions with a bearer token and never sends a cookie, so a session
 * read or written per SCIM request is work (and, with a database session store, rows) for nothing.
 * Reads the path from `originalUrl`, so it works wherever the host mounts the middleware.
 */
export function skipOnScim(mountPath: string): (middleware: RequestHandler) => RequestHandler {
  const scim = scimPathPattern(mountPath);
  return (middleware) => (req, res, next) => {
    const path = req.originalUrl.split('?', 1)[0];
    if (scim.test(path)) return next();
    return middleware(req, res, next);
  };
}
