import { Router, type Request, type Response } from 'express';
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
import { tokenRateLimit } from './rate-limit.js';
import { usersRouter } from './users-routes.js';

export function scimBaseUrl(runtime: Runtime): string {
  return `${runtime.options.baseUrl}${runtime.options.mountPath}/scim/v2`;
}

/** The SCIM 2.0 service provider: authentication, limits, discovery, Users, Groups, errors. */
export function createScimRouter(runtime: Runtime): Router {
  const { options, logger } = runtime;
  const at: Locations = { scimBase: scimBaseUrl(runtime) };
  const router = Router();

  router.use(auditTrail(runtime));
  router.use(scimBearerAuth(runtime));
  router.use(tokenRateLimit(options.rateLimitPerMinute));
  router.use(...scimBodyParser(options.maxBodyBytes));

  router.get('/ServiceProviderConfig', asyncRoute(async (req, res) => sendScim(res, 200, serviceProviderConfig(principal(req).connector, options, at.scimBase))));
  router.get('/Schemas', asyncRoute(async (req, res) => sendScim(res, 200, schemasList(principal(req).connector, at.scimBase))));
  router.get('/Schemas/:id', asyncRoute(async (req, res) => sendScim(res, 200, schemaById(principal(req).connector, String(req.params.id), at.scimBase))));
  router.get('/ResourceTypes', asyncRoute(async (req, res) => sendScim(res, 200, resourceTypesList(principal(req).connector, at.scimBase))));
  router.get('/ResourceTypes/:id', asyncRoute(async (req, res) => sendScim(res, 200, resourceTypeById(principal(req).connector, String(req.params.id), at.scimBase))));
  router.use('/Users', usersRouter(runtime, at));
  router.use('/Groups', groupsRouter(runtime, at));
  router.all('/Bulk', (_req: Request, _res: Response, next) => next(new ScimError(501, 'bulk operations are not supported (see /ServiceProviderConfig)')));
  router.use((req: Request, _res: Response, next) => next(notFound(`no SCIM endpoint at ${req.method} ${req.path}`)));
  router.use(scimErrorHandler(logger));
  return router;
}
