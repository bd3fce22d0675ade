import express, { type Request, type Response, type Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import { csrfProtection, requireAdmin, sendJsonError } from './guard.js';
import { registerAuditRoutes } from './audit-api.js';
import { adminErrorHandler } from './errors.js';
import { registerConnectorRoutes } from './connectors-api.js';
import { registerEntraExportRoutes } from './entra-export.js';
import { registerEntraMappingRoutes } from './entra-mapping-api.js';
import { registerEntraPushRoutes } from './entra-push.js';
import { registerGroupRoutes } from './groups-api.js';
import { registerAdminPages } from './page.js';
import { registerProtectionRoutes } from './protection-api.js';
import { registerTokenRoutes } from './tokens-api.js';
import { registerUserRoutes } from './users-api.js';
import { registerWorkspaceRoutes } from './workspaces-api.js';

/** Adds endpoints to the admin JSON API; they run behind the admin guard and CSRF protection. */
export type AdminRoutes = (api: Router, runtime: Runtime) => void;

const BODY_LIMIT = '100kb';

/**
 * `{mountPath}/admin`: the connector and user pages (page.ts) and, under /api, the JSON API for
 * admins: users, connectors (settings, OIDC, default group, groups, bulk login method), tokens,
 * the organization's workspaces and the provisioning log. Every API route registered here is behind options.authorizeAdmin
 * and the CSRF check (see guard.ts), and reads the admin's organization scope from the request
 * (requests.ts scopedConnector / connectorRoute): test/admin/admin-scope.test.ts fails for a
 * route it does not list. More endpoint groups plug in through `extraRoutes`.
 */
export function createAdminRouter(runtime: Runtime, extraRoutes: AdminRoutes[] = []): Router {
  const csrf = csrfProtection(runtime);
  const api = express.Router();
  api.use(requireAdmin(runtime));
  api.get('/csrf', csrf.issue);
  api.use(csrf.verify);
  api.use(express.json({ limit: BODY_LIMIT }));
  registerUserRoutes(api, runtime);
  registerConnectorRoutes(api, runtime);
  registerTokenRoutes(api, runtime);
  registerAuditRoutes(api, runtime);
  registerEntraExportRoutes(api, runtime);
  registerEntraPushRoutes(api, runtime);
  registerWorkspaceRoutes(api, runtime);
  registerEntraMappingRoutes(api, runtime);
  registerProtectionRoutes(api, runtime);
  registerGroupRoutes(api, runtime);
  for (const register of extraRoutes) register(api, runtime);
  api.use((_req: Request, res: Response) => sendJsonError(res, 404, 'not_found', 'no such admin endpoint'));
  api.use(adminErrorHandler(runtime, BODY_LIMIT));

  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.use('/api', api);
  // The pages answer HTML refusals themselves (guard.ts answers JSON), so they sit beside /api.
  registerAdminPages(router, runtime);
  return router;
}
