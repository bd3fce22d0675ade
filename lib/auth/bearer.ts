import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import type { Runtime } from '../web/runtime.js';
import { hashToken } from '../store/tokens.js';
import { PrincipalCache } from './principal-cache.js';
import type { Connector, ScimToken } from '../model/types.js';

export interface ScimPrincipal { token: ScimToken; connector: Connector }

declare module 'express-serve-static-core' {
  interface Request {
    scim?: ScimPrincipal;
  }
}

/**
 * SCIM bearer authentication on a private Passport instance: the host's passport singleton,
 * its strategies and its sessions are never touched. Failures reach the SCIM error handler
 * (401 with a SCIM body and `WWW-Authenticate: Bearer`); the token itself is never logged.
 */
export function scimBearerAuth(runtime: Runtime): RequestHandler[] {
  const passport = new Passport();
  const cache = new PrincipalCache(runtime.events);
  passport.use('scim-bearer', new BearerStrategy(async (token, done) => {
    try {
      const hash = hashToken(token);
      const cached = cache.get(hash);
      if (cached) return done(null, cached as never);
      const record = await runtime.store.tokens.verify(token);
      if (!record) return done(null, false, { message: 'invalid_token', scope: [] } as never);
      const connector = await runtime.store.connectors.get(record.connectorId);
      if (!connector) return done(null, false);
      const principal: ScimPrincipal = { token: record, connector };
      cache.set(hash, principal);
      return done(null, principal as never);
    } catch (error) {
      return done(error as Error);
    }
  }));
  const authenticate = passport.authenticate('scim-bearer', { session: false, failWithError: true, assignProperty: 'scim' }) as RequestHandler;
  const markConnector = (req: Request, _res: Response, next: NextFunction) => {
    req.identityConnectorId = req.scim?.connector.id;
    next();
  };
  return [headerOnly, passport.initialize() as RequestHandler, authenticate, markConnector];
}

/**
 * RFC 6750 §2.2–2.3 advise against tokens in form bodies and URLs (they end up in logs and
 * caches); passport-http-bearer reads both, so such requests are refused before it runs.
 */
function headerOnly(req: Request, _res: Response, next: NextFunction): void {
  const inBody = typeof req.body === 'object' && req.body !== null && 'access_token' in req.body;
  if (inBody || 'access_token' in (req.query ?? {})) return next(Object.assign(new Error('bearer token outside the Authorization header'), { status: 401 }));
  next();
}

export function principal(req: Request): ScimPrincipal {
  if (!req.scim) throw new Error('SCIM route reached without authentication');
  return req.scim;
}
