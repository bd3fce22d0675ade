import { Router, type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import { principal, scimBearerAuth } from '../auth/bearer.js';
import type { Runtime } from '../web/runtime.js';
import { auditFailures } from './audit-trail.js';
import { resourceTypeById, resourceTypesList, schemaById, schemasList, serviceProviderConfig } from './discovery.js';
import { scimErrorHandler, storeUnavailable } from './error-handler.js';
import { ScimError, notFound } from './errors.js';
import { FailedAuthentication } from './failed-authentication.js';
import { groupsRouter } from './groups-routes.js';
import { asyncRoute } from '../web/http.js';
import { scimBodyParser, sendScim } from './http.js';
import type { Locations } from './serialize.js';
import { tokenRateLimit } from './rate-limit.js';
import { SharedLimit } from '../runtime/shared-limit.js';
import { usersRouter } from './users-routes.js';
import type { ScimMetrics } from '../web/metrics.js';

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
  if (own !== (req.scimEndpoint ?? null))
    return next(
      new ScimError(
        401,
        'this token belongs to a connector served at another SCIM endpoint; use the Tenant URL shown with it',
      ),
    );
  next();
}

/** The router, and `close` to write what it holds in memory (hits counted locally, the failed-authentication aggregates). */
export type ScimRouter = Router & { close(): Promise<void> };

/**
 * The SCIM 2.0 service provider: authentication, limits, discovery, Users, Groups, errors. One
 * instance serves the shared endpoint and every connector's own endpoint. With `metrics`
 * (options.metrics), every request is counted and timed from its first middleware on.
 */
export function createScimRouter(runtime: Runtime, metrics?: ScimMetrics): ScimRouter {
  const { options, logger } = runtime;
  const locations = (req: Request): Locations => ({ scimBase: scimBaseUrl(runtime, req.scimEndpoint ?? null) });
  const router = Router();
  const retryAfterSeconds = Math.ceil(options.databaseTimeoutMs / 1000);
  const errorHandler = scimErrorHandler(logger, retryAfterSeconds);

  if (metrics) router.use(metrics.requests);
  router.use(noStore, databaseDeadline(options.databaseTimeoutMs, errorHandler));
  const failedAuthentication = new FailedAuthentication(runtime, {}, options.rateLimitWindowMs);
  router.use(scimBearerAuth(runtime), failedAuthentication.middleware, requireOwnEndpoint);
  const perToken = new SharedLimit(
    runtime.counters,
    runtime.counterHealth,
    'token:',
    options.rateLimitPerMinute,
    options.rateLimitWindowMs,
    options.clock,
  );
  router.use(tokenRateLimit(perToken));
  router.use(...scimBodyParser(options.maxBodyBytes));

  const base = (req: Request) => locations(req).scimBase;
  router.get(
    '/ServiceProviderConfig',
    asyncRoute(async (req, res) =>
      sendScim(res, 200, serviceProviderConfig(principal(req).connector, options, base(req))),
    ),
  );
  router.get(
    '/Schemas',
    asyncRoute(async (req, res) => sendScim(res, 200, schemasList(principal(req).connector, base(req)))),
  );
  router.get(
    '/Schemas/:id',
    asyncRoute(async (req, res) =>
      sendScim(res, 200, schemaById(principal(req).connector, String(req.params.id), base(req))),
    ),
  );
  router.get(
    '/ResourceTypes',
    asyncRoute(async (req, res) => sendScim(res, 200, resourceTypesList(principal(req).connector, base(req)))),
  );
  router.get(
    '/ResourceTypes/:id',
    asyncRoute(async (req, res) =>
      sendScim(res, 200, resourceTypeById(principal(req).connector, String(req.params.id), base(req))),
    ),
  );
  router.use('/Users', usersRouter(runtime, locations));
  router.use('/Groups', groupsRouter(runtime, locations));
  router.all('/Bulk', (_req: Request, _res: Response, next) =>
    next(new ScimError(501, 'bulk operations are not supported (see /ServiceProviderConfig)')),
  );
  router.use((req: Request, _res: Response, next) => next(notFound(`no SCIM endpoint at ${req.method} ${req.path}`)));
  if (metrics) router.use(metrics.refusals);
  router.use(auditFailures(runtime), errorHandler);
  return Object.assign(router, {
    close: async () => {
      await Promise.all([perToken.flush(), failedAuthentication.flush()]);
    },
  });
}

/** SCIM answers carry personal data and tokens' results: no cache, shared or private, may keep them. */
function noStore(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * A request still unanswered after `timeoutMs` is waiting on a lost or frozen database (no
 * statement timeout can fire on a server that does not answer): it gets 503 with Retry-After
 * instead of hanging. What the route does later is dropped (see sendScim, scimErrorHandler).
 */
function databaseDeadline(timeoutMs: number, errorHandler: ErrorRequestHandler) {
  return (req: Request, res: Response, next: NextFunction) => {
    const timer = setTimeout(
      () => errorHandler(storeUnavailable(Math.ceil(timeoutMs / 1000)), req, res, next),
      timeoutMs,
    );
    const clear = () => clearTimeout(timer);
    res.on('finish', clear);
    res.on('close', clear);
    next();
  };
}
