import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { Filter } from '../model/filter.js';
import { SchemaRegistry } from '../model/schemas/registry.js';
import { isStoreError } from '../store/errors.js';
import { isLoginMethod, type StoredUser } from '../model/types.js';
import type { AdminUserSummary } from '../model/admin-wire.js';
import { asyncRoute } from '../web/http.js';
import { adminContext } from './audit-context.js';
import { sendJsonError } from './guard.js';
import { scopedConnector } from './requests.js';

const DEFAULT_PAGE_SIZE = 50;
const MAX_SEARCH_LENGTH = 256;

const summary = (u: StoredUser): AdminUserSummary => ({
  id: u.id, connectorId: u.connectorId, userName: u.userName, displayName: u.displayName, externalId: u.externalId,
  active: u.active, loginMethod: u.loginMethod, webRole: u.webRole,
});

/**
 * `filter` is the admin page's search box: users whose userName or displayName contains the
 * text (case-insensitive, as the store compares them), expressed as a SCIM filter tree so the
 * store's indexed filter compiler does the work.
 */
export function searchFilter(text: string): Filter {
  const registry = new SchemaRegistry('User');
  const contains = (attribute: string): Filter => ({ kind: 'compare', op: 'co', path: { raw: attribute, resolved: registry.resolve(attribute) }, value: text });
  return { kind: 'or', left: contains('userName'), right: contains('displayName') };
}

function positiveInt(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 *   GET /api/users?connector=ID&filter=text&startIndex=1&count=50
 *   PUT /api/users/:id/login-method   { "connectorId": "…", "loginMethod": "sso" | "builtin" }
 */
export function registerUserRoutes(api: Router, runtime: Runtime): void {
  const { store, options, logger } = runtime;

  api.get('/users', asyncRoute(async (req: Request, res: Response) => {
    const connectorId = typeof req.query.connector === 'string' ? req.query.connector : '';
    if (!connectorId) return sendJsonError(res, 400, 'invalid_request', 'connector is required');
    if (!(await scopedConnector(runtime, req, connectorId))) return sendJsonError(res, 404, 'not_found', `connector ${connectorId} not found`);
    const startIndex = positiveInt(req.query.startIndex, 1);
    const count = positiveInt(req.query.count, Math.min(DEFAULT_PAGE_SIZE, options.maxPageSize));
    if (startIndex === undefined || startIndex < 1) return sendJsonError(res, 400, 'invalid_request', 'startIndex must be an integer ≥ 1');
    if (count === undefined) return sendJsonError(res, 400, 'invalid_request', 'count must be an integer ≥ 0');
    const text = typeof req.query.filter === 'string' ? req.query.filter.trim() : '';
    if (text.length > MAX_SEARCH_LENGTH) return sendJsonError(res, 400, 'invalid_request', `filter is at most ${MAX_SEARCH_LENGTH} characters`);
    const page = await store.users.list(connectorId, {
      filter: text ? searchFilter(text) : undefined,
      startIndex,
      count: Math.min(count, options.maxPageSize),
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ totalResults: page.totalResults, startIndex, itemsPerPage: page.items.length, users: page.items.map(summary) });
  }));

  api.put('/users/:id/login-method', asyncRoute(async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userId = String(req.params.id);
    const connectorId = typeof body.connectorId === 'string' ? body.connectorId : '';
    if (!connectorId) return sendJsonError(res, 400, 'invalid_request', 'connectorId is required');
    if (!isLoginMethod(body.loginMethod)) return sendJsonError(res, 400, 'invalid_request', 'loginMethod must be "sso" or "builtin"');
    const loginMethod = body.loginMethod;
    const connector = await scopedConnector(runtime, req, connectorId);
    const user = connector ? await store.users.get(connectorId, userId) : undefined;
    if (!connector || !user) return sendJsonError(res, 404, 'not_found', `user ${userId} not found in connector ${connectorId}`);

    const context = await adminContext(runtime, req, 200);

    // Switching someone to SSO on a connector without it would lock them out.
    if (loginMethod === 'sso' && !(connector.oidc.issuer && connector.oidc.clientId)) {
      await runtime.audit.refusal({ ...context, status: 409 }, { connectorId, operation: 'user.login-method', resourceType: 'User', resourceId: userId, status: 409, detail: { from: user.loginMethod, to: loginMethod, reason: 'sso_not_configured' } });
      return sendJsonError(res, 409, 'sso_not_configured', 'configure OpenID Connect for this connector before switching users to SSO');
    }
    let updated: StoredUser;
    try {
      updated = user.loginMethod === loginMethod ? user : await runtime.users.setAccess(connector, userId, { loginMethod }, context, 'user.login-method');
    } catch (error) {
      if (isStoreError(error, 'not_found')) return sendJsonError(res, 404, 'not_found', `user ${userId} not found`);
      throw error;
    }
    logger.info('login method changed', { connectorId, userId, from: user.loginMethod, to: loginMethod, requestId: req.identityRequestId });
    res.json(summary(updated));
  }));
}
