import { Router, type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { principal, scimBearerAuth } from '../auth/bearer.js';
import type { Runtime } from '../web/runtime.js';
import { auditTrail } from './audit-trail.js';
import { resourceTypeById, resourceTypesList, schemaById, schemasList, serviceProviderConfig } from './discovery.js';
import { scimErrorHandler } from './error-handler.js';
import { ScimError, notFound } from './errors.js';
import { groupsRouter } from './groups-routes.js';
import { asyncRoute } from '../web/http.js';
import { scimBodyParser, sendScim } from './http.js';
import type { Locations } from './serialize.js';
import { usersRouter } from './users-routes.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The connector's own endpoint segment (`advisors` in `{mountPath}/advisors/scim`), when reached there. */
    scimEndpoint?: string;
  }
}

/** The SCIM base URL a connector is served at: its own endpoint (scimEndpoint), else the shared one. */
export function scimBaseUrl(runtime: Runtime, endpoint: string | null = null): string {
  return `${runtime.options.baseUrl}${runtime.options.mountPath}/${endpoint === null ? 'scim/v2' : `${endpoint}/scim`}`;
}

/**
 * Marks requests that came in at `{mountPath}/:endpoint/scim` (&Money BookMe: advisors and rooms
 * each at their own URL) before the one SCIM router serves them.
 */
export function atScimEndpoint(req: Request, _res: Response, next: NextFunction): void {
  req.scimEndpoint = String(req.params.endpoint);
  next();
}

/**
 * A token opens only its connector's endpoint: the shared `/scim/v2` (and `/scim`) for a
 * connector without scimEndpoint, else `{mountPath}/{scimEndpoint}/scim`.
 */
function requireOwnEndpoint(req: Request, _res: Response, next: NextFunction): void {
  const own = principal(req).connector.settings.scimEndpoint;
  if (own !== (req.scimEndpoint ?? null)) return next(new ScimError(401, 'this token belongs to a connector served at another SCIM endpoint; use the Tenant URL shown with it'));
  next();
}

/**
 * The SCIM 2.0 service provider: authentication, limits, discovery, Users, Groups, errors. One
 * instance serves the shared endpoint and every connector's own endpoint.
 */
export function createScimRouter(runtime: Runtime): Router {
  const { options, logger } = runtime;
  const locations = (req: Request): Locations => ({ scimBase: scimBaseUrl(runtime, req.scimEndpoint ?? null) });
  const router = Router();

  router.use(auditTrail(runtime));
  router.use(...scimBearerAuth(runtime), requireOwnEndpoint);
  router.use(rateLimit({
    windowMs: 60_000,
    limit: options.rateLimitPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req: Request) => `token:${principal(req).token.id}`,
    handler: (_req, _res, next) => next(new ScimError(429, `more than ${options.rateLimitPerMinute} requests a minute for this token; retry after the Retry-After delay`)),
  }));
  router.use(...scimBodyParser(options.maxBodyBytes));

  const base = (req: Request) => locations(req).scimBase;
  router.get('/ServiceProviderConfig', asyncRoute(async (req, res) => sendScim(res, 200, serviceProviderConfig(principal(req).connector, options, base(req)))));
  router.get('/Schemas', asyncRoute(async (req, res) => sendScim(res, 200, schemasList(principal(req).connector, base(req)))));
  router.get('/Schemas/:id', asyncRoute(async (req, res) => sendScim(res, 200, schemaById(principal(req).connector, String(req.params.id), base(req)))));
  router.get('/ResourceTypes', asyncRoute(async (req, res) => sendScim(res, 200, resourceTypesList(principal(req).connector, base(req)))));
  router.get('/ResourceTypes/:id', asyncRoute(async (req, res) => sendScim(res, 200, resourceTypeById(principal(req).connector, String(req.params.id), base(req)))));
  router.use('/Users', usersRouter(runtime, locations));
  router.use('/Groups', groupsRouter(runtime, locations));
  router.all('/Bulk', (_req: Request, _res: Response, next) => next(new ScimError(501, 'bulk operations are not supported (see /ServiceProviderConfig)')));
  router.use((req: Request, _res: Response, next) => next(notFound(`no SCIM endpoint at ${req.method} ${req.path}`)));
  router.use(scimErrorHandler(logger));
  return router;
}
