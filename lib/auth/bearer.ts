import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { continueWhenSettled } from '../web/http.js';
import type { Runtime } from '../web/runtime.js';
import { hashToken, LAST_USED_GRANULARITY_MS } from '../store/tokens.js';
import { PrincipalCache } from './principal-cache.js';
import type { Connector, ScimToken } from '../model/types.js';

export interface ScimPrincipal { token: ScimToken; connector: Connector }

declare module 'express-serve-static-core' {
  interface Request {
    scim?: ScimPrincipal;
  }
}

/** What the SCIM error handler answers 401 to (with `WWW-Authenticate: Bearer`); never carries the token. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  readonly status = 401;
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive). RFC 6750
 * §2.2–2.3 advise against tokens in form bodies and URLs (they end up in logs and caches): a
 * request that carries `access_token` there is refused, even with a valid header. Answers
 * undefined when there is no usable token.
 */
export function bearerToken(req: Request): string | undefined {
  // Express 5 parses the query string on every read of req.query: the URL is enough to know.
  if (req.url.includes('access_token=')) return undefined;
  if (typeof req.body === 'object' && req.body !== null && 'access_token' in req.body) return undefined;
  const parts = req.headers.authorization?.split(' ');
  if (!parts || parts.length !== 2 || !/^Bearer$/i.test(parts[0])) return undefined;
  return parts[1] || undefined;
}

/**
 * SCIM bearer authentication, parsed on the route itself: the host's passport, its strategies
 * and its sessions are never touched, and a request costs one header split, one hash and one
 * Map lookup (the cache keeps a token a minute, checked against other instances' changes
 * every 800 ms, auth/principal-cache.ts). Failures reach the SCIM error handler (401
 * with a SCIM body and `WWW-Authenticate: Bearer`); the token itself is never logged.
 */
export function scimBearerAuth(runtime: Runtime): RequestHandler {
  const cache = new PrincipalCache(runtime.events, { fingerprint: () => runtime.store.tokens.credentialsFingerprint(), ttlMs: LAST_USED_GRANULARITY_MS });
  const verify = async (token: string): Promise<ScimPrincipal | undefined> => {
    const hash = hashToken(token);
    const cached = await cache.get(hash);
    if (cached) return cached;
    const readAt = Date.now();
    const record = await runtime.store.tokens.verify(token);
    if (!record) return undefined;
    const connector = await runtime.store.connectors.get(record.connectorId);
    if (!connector) return undefined;
    const principal: ScimPrincipal = { token: record, connector };
    cache.set(hash, principal, readAt);
    return principal;
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) return next(new AuthenticationError('no bearer token'));
    continueWhenSettled(verify(token), res, next, (found) => {
      if (!found) return next(new AuthenticationError('invalid_token'));
      req.scim = found;
      req.identityConnectorId = found.connector.id;
      next();
    });
  };
}

export function principal(req: Request): ScimPrincipal {
  if (!req.scim) throw new Error('SCIM route reached without authentication');
  return req.scim;
}
