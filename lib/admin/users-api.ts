import type { Request, Response, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { Filter } from '../model/filter.js';
import { SchemaRegistry } from '../model/schemas/registry.js';
import { isLoginMethod, type LoginMethod, type StoredUser } from '../model/types.js';
import type { AdminUserSummary } from '../model/admin-wire.js';
import { asyncRoute } from '../web/http.js';
import { adminContext } from './audit-context.js';
import { sendJsonError } from './guard.js';
import { connectorRoute, scopedConnector } from './requests.js';

const DEFAULT_PAGE_SIZE = 50;
/** Largest explicit selection of a bulk login-method switch (the page selects at most a page). */
const MAX_SELECTION = 1000;
const METHOD_NAMES: Record<LoginMethod, string> = { sso: 'Entra SSO', builtin: 'built-in login' };
const MAX_SEARCH_LENGTH = 256;

/** A user as the admin API lists it. */
export const userSummary = (u: StoredUser): AdminUserSummary => ({
  id: u.id,
  connectorId: u.connectorId,
  userName: u.userName,
  displayName: u.displayName,
  externalId: u.externalId,
  active: u.active,
  loginMethod: u.loginMethod,
  webRole: u.webRole,
  protected: u.protected,
});

/**
 * `filter` is the admin page's search box: users whose userName or displayName contains the
 * text (case-insensitive, as the store compares them), expressed as a SCIM filter tree so the
 * store's indexed filter compiler does the work.
 */
export function searchFilter(text: string): Filter {
  const registry = new SchemaRegistry('User');
  const contains = (attribute: string): Filter => ({
    kind: 'compare',
    op: 'co',
    path: { raw: attribute, resolved: registry.resolve(attribute) },
    value: text,
  });
  return { kind: 'or', left: contains('userName'), right: contains('displayName') };
}

function positiveInt(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 *   GET /api/users?connector=ID&filter=text&startIndex=1&count=50
 *   PUT  /api/users/:id/login-method            { "connectorId", "loginMethod": "sso" | "builtin", "confirm"?: true (own row) }
 *   POST /api/connectors/:id/login-method       { "loginMethod", "userIds"?: [...], "confirmCount": n }
 * The bulk switch answers 409 { count } until confirmCount names the number of users it changes.
 */
export function registerUserRoutes(api: Router, runtime: Runtime): void {
  const { store, options, logger } = runtime;

  api.get(
    '/users',
    asyncRoute(async (req: Request, res: Response) => {
      const connectorId = typeof req.query.connector === 'string' ? req.query.connector : '';
      if (!connectorId) return sendJsonError(res, 400, 'invalid_request', 'connector is required');
      if (!(await scopedConnector(runtime, req, connectorId)))
        return sendJsonError(res, 404, 'not_found', `connector ${connectorId} not found`);
      const startIndex = positiveInt(req.query.startIndex, 1);
      const count = positiveInt(req.query.count, Math.min(DEFAULT_PAGE_SIZE, options.maxPageSize));
      if (startIndex === undefined || startIndex < 1)
        return sendJsonError(res, 400, 'invalid_request', 'startIndex must be an integer ≥ 1');
      if (count === undefined) return sendJsonError(res, 400, 'invalid_request', 'count must be an integer ≥ 0');
      const text = typeof req.query.filter === 'string' ? req.query.filter.trim() : '';
      if (text.length > MAX_SEARCH_LENGTH)
        return sendJsonError(res, 400, 'invalid_request', `filter is at most ${MAX_SEARCH_LENGTH} characters`);
      const page = await store.users.list(connectorId, {
        filter: text ? searchFilter(text) : undefined,
        startIndex,
        count: Math.min(count, options.maxPageSize),
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        totalResults: page.totalResults,
        startIndex,
        itemsPerPage: page.items.length,
        users: page.items.map(userSummary),
      });
    }),
  );

  api.put(
    '/users/:id/login-method',
    asyncRoute(async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const userId = String(req.params.id);
      const connectorId = typeof body.connectorId === 'string' ? body.connectorId : '';
      if (!connectorId) return sendJsonError(res, 400, 'invalid_request', 'connectorId is required');
      if (!isLoginMethod(body.loginMethod))
        return sendJsonError(res, 400, 'invalid_request', 'loginMethod must be "sso" or "builtin"');
      const loginMethod = body.loginMethod;
      const connector = await scopedConnector(runtime, req, connectorId);
      const user = connector ? await store.users.get(connectorId, userId) : undefined;
      if (!connector || !user)
        return sendJsonError(res, 404, 'not_found', `user ${userId} not found in connector ${connectorId}`);
      // The switch decision comes first: a refused switch needs no confirmation.
      await runtime.loginMethods.refuseLockout(connector, loginMethod, await adminContext(runtime, req, 409), user);
      // The admin's own row: one click must not change how they themselves sign in.
      const me = options.currentUser ? await options.currentUser(req) : undefined;
      if (
        me &&
        me.connectorId === connectorId &&
        me.userId === userId &&
        user.loginMethod !== loginMethod &&
        body.confirm !== true
      ) {
        return res.status(409).json({
          error: 'confirmation_required',
          message: `This is your own account: after this you sign in with ${METHOD_NAMES[loginMethod]}. Continue?`,
        });
      }
      const { user: updated } = await runtime.loginMethods.set(
        connector,
        user,
        loginMethod,
        await adminContext(runtime, req, 200),
      );
      logger.info('login method changed', {
        connectorId,
        userId,
        from: user.loginMethod,
        to: loginMethod,
        requestId: req.identityRequestId,
      });
      res.json(userSummary(updated));
    }),
  );

  api.post(
    '/connectors/:id/login-method',
    connectorRoute(runtime, async (req, res, connector) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!isLoginMethod(body.loginMethod))
        return sendJsonError(res, 400, 'invalid_request', 'loginMethod must be "sso" or "builtin"');
      const loginMethod = body.loginMethod;
      const among = body.userIds;
      if (
        among !== undefined &&
        !(
          Array.isArray(among) &&
          among.length > 0 &&
          among.length <= MAX_SELECTION &&
          among.every((id) => typeof id === 'string')
        )
      ) {
        return sendJsonError(
          res,
          400,
          'invalid_request',
          `userIds must be a list of 1 to ${MAX_SELECTION} user ids, or absent for all of the connector's users`,
        );
      }
      const ids = await runtime.loginMethods.pending(
        connector,
        loginMethod,
        await adminContext(runtime, req, 409),
        among,
      );
      // The admin confirms the number the server computed, so what they agreed to is what happens.
      if (body.confirmCount !== ids.length) {
        return res.status(409).json({
          error: 'confirmation_required',
          count: ids.length,
          message: `Switch ${ids.length} user${ids.length === 1 ? '' : 's'} to ${METHOD_NAMES[loginMethod]}?`,
        });
      }
      // One audited write per user, through the one user-write path.
      const switched = await runtime.loginMethods.setMany(
        connector,
        ids,
        loginMethod,
        await adminContext(runtime, req, 200),
      );
      logger.info('login method switched in bulk', {
        connectorId: connector.id,
        to: loginMethod,
        count: switched,
        requestId: req.identityRequestId,
      });
      res.json({ switched, loginMethod });
    }),
  );
}
