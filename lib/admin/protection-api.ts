import type { Router } from 'express';
import type { AdminUserSummary } from '../model/admin-wire.js';
import type { Runtime } from '../web/runtime.js';
import { adminContext } from './audit-context.js';
import { sendJsonError } from './guard.js';
import { scopedConnector } from './requests.js';
import { asyncRoute } from '../web/http.js';
import { userSummary } from './users-api.js';

/**
 * Protected users (Systam's Organization Owners): Entra's updates and deletes of them answer 403.
 * An admin marks and unmarks them; the change takes the user-write path and is audited
 * (`user.protection`, protected from → to).
 *
 *   PUT /api/users/:id/protected    { "connectorId", "protected": true | false }
 */
export function registerProtectionRoutes(api: Router, runtime: Runtime): void {
  api.put(
    '/users/:id/protected',
    asyncRoute(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const userId = String(req.params.id);
      const connectorId = typeof body.connectorId === 'string' ? body.connectorId : '';
      if (!connectorId) return sendJsonError(res, 400, 'invalid_request', 'connectorId is required');
      if (typeof body.protected !== 'boolean')
        return sendJsonError(res, 400, 'invalid_request', 'protected must be true or false');
      const connector = await scopedConnector(runtime, req, connectorId);
      const user = connector ? await runtime.store.users.get(connectorId, userId) : undefined;
      if (!connector || !user)
        return sendJsonError(res, 404, 'not_found', `user ${userId} not found in connector ${connectorId}`);
      const updated =
        user.protected === body.protected
          ? user
          : await runtime.users.setAccess(
              connector,
              userId,
              { protected: body.protected },
              await adminContext(runtime, req, 200),
              'user.protection',
            );
      const summary: AdminUserSummary = userSummary(updated);
      res.json(summary);
    }),
  );
}
