import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { continueWhenSettled } from '../web/http.js';
import type { Runtime } from '../web/runtime.js';
import { hashToken, LAST_USED_GRANULARITY_MS } from '../store/tokens.js';
import { PrincipalCache } from './principal-cache.js';
import type { Connector, ScimToken } from '../model/types.js';

/** Who a SCIM request authenticated as: the bearer token's record and the connector it opens (`req.scim`). */
export interface ScimPrincipal {
  token: ScimToken;
  connector: Connector;
}

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
 * RFC 6750 §2.2–2.3 advise against tokens in form bodies and URLs (they end up in logs and
 * caches): a request that carries `access_token` there is refused, even with a valid header
 * (passport-http-bearer would accept them).
 */
function carriesTokenOutsideHeader(req: Request): boolean {
  // Express 5 parses the query string on every read of req.query: the URL is enough to know.
  if (req.url.includes('access_token=')) return true;
  return typeof req.body === 'object' && req.body !== null && 'access_token' in req.body;
}

/** The actions passport gives a strategy for one request (passport-strategy's protocol). */
interface StrategyActions {
  success(principal: ScimPrincipal): void;
  fail(challenge?: string | number): void;
  error(error: unknown): void;
}

/**
 * SCIM bearer authentication through passport-http-bearer's strategy, owned by this router and
 * registered with no passport at all: the host's passport (its strategies, serializers and
 * sessions) is never touched. The strategy is driven per request the way passport drives it
 * (success / fail / error on an Object.create of the strategy), not through a private
 * `new Passport().authenticate()`: that middleware writes `req.login`, `req._sessionManager`,
 * … onto every request (the host's own, on a host that uses passport) and allocated enough
 * closures per request to cost 80–100 µs of CPU (measured, 41 % of it garbage collection) on a
 * lookup that costs about 1 ms. The principal comes from the cache (a token is kept a minute,
 * checked against other instances' changes every 800 ms, auth/principal-cache.ts), else from
 * the store. Failures (no token,
 * a malformed header, an unknown or revoked token) reach the SCIM error handler as 401 (SCIM
 * body, `WWW-Authenticate` with RFC 6750's error, counted by failed-authentication.ts); the
 * token itself is never logged.
 */
export function scimBearerAuth(runtime: Runtime): RequestHandler {
  const cache = new PrincipalCache(runtime.events, {
    fingerprint: () => runtime.store.tokens.credentialsFingerprint(),
    ttlMs: LAST_USED_GRANULARITY_MS,
  });
  const resolve = async (token: string): Promise<ScimPrincipal | undefined> => {
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
  const strategy = new BearerStrategy(
    { realm: 'SCIM', passReqToCallback: true },
    (req: Request, token: string, done: (error: unknown, user?: ScimPrincipal | false) => void) => {
      // A lookup that settles after the database deadline's 503 is dropped (no answer after an answer).
      continueWhenSettled(resolve(token), req.res!, done, (found) => done(null, found ?? false));
    },
  );

  return (req: Request, res: Response, next: NextFunction) => {
    if (carriesTokenOutsideHeader(req))
      return next(new AuthenticationError('access_token outside the Authorization header'));
    const attempt = Object.create(strategy) as typeof strategy & StrategyActions;
    attempt.success = (principal) => {
      req.scim = principal;
      req.identityConnectorId = principal.connector.id;
      next();
    };
    attempt.fail = (challenge) => {
      if (typeof challenge === 'string') res.setHeader('WWW-Authenticate', challenge);
      next(new AuthenticationError('invalid_token'));
    };
    attempt.error = next;
    attempt.authenticate(req);
  };
}

/**
 * The authenticated principal of a SCIM route's request.
 *
 * @throws Error when a route is reached without `scimBearerAuth` having run (a wiring mistake, never a client's).
 */
export function principal(req: Request): ScimPrincipal {
  if (!req.scim) throw new Error('SCIM route reached without authentication');
  return req.scim;
}
