import type { Router } from 'express';
import type { AdminWorkspace } from '../model/admin-wire.js';
import type { Connector } from '../model/types.js';
import type { Runtime } from '../web/runtime.js';
import { adminContext } from './audit-context.js';
import { sendJsonError } from './guard.js';
import { connectorRoute } from './requests.js';

/** The workspaces of the connector's organization, oldest first, with this connector's users in each. */
export async function listWorkspaces(runtime: Runtime, connector: Connector): Promise<AdminWorkspace[]> {
  const [workspaces, counts] = await Promise.all([
    runtime.store.workspaces.list(connector.organizationId),
    runtime.store.workspaces.counts(connector.id),
  ]);
  return workspaces.map((w) => ({
    id: w.id,
    name: w.name,
    createdAt: w.createdAt.toISOString(),
    users: counts.get(w.id)?.users ?? 0,
    primaryUsers: counts.get(w.id)?.primary ?? 0,
  }));
}

/**
 * Systam's workspaces, administered from a connector's page. They belong to the connector's
 * organization (every connector of it maps to the same ones), so the organization comes from the
 * connector, inside the admin's scope, and a workspace of another organization is never named.
 *   GET    /api/connectors/:id/workspaces
 *   POST   /api/connectors/:id/workspaces                 { "id": "…", "name"?: "…" } → 201 added, 200 renamed
 *   DELETE /api/connectors/:id/workspaces/:workspaceId    its users move to what their mapping decides next
 */
export function registerWorkspaceRoutes(api: Router, runtime: Runtime): void {
  api.get(
    '/connectors/:id/workspaces',
    connectorRoute(runtime, async (_req, res, connector) => {
      res.json({ workspaces: await listWorkspaces(runtime, connector), mapping: connector.settings.workspaces });
    }),
  );

  api.post(
    '/connectors/:id/workspaces',
    connectorRoute(runtime, async (req, res, connector) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (
        typeof body.id !== 'string' ||
        (body.name !== undefined && body.name !== null && typeof body.name !== 'string')
      ) {
        return sendJsonError(
          res,
          400,
          'invalid_request',
          'send {"id": "the workspace id your platform uses", "name"?: "its name"}',
        );
      }
      const existed = await runtime.store.workspaces.get(connector.organizationId, body.id);
      const workspace = await runtime.workspaces.register(
        connector.organizationId,
        { id: body.id, name: body.name },
        await adminContext(runtime, req, existed ? 200 : 201),
      );
      const shown = (await listWorkspaces(runtime, connector)).find((w) => w.id === workspace.id);
      res.status(existed ? 200 : 201).json(shown);
    }),
  );

  api.delete(
    '/connectors/:id/workspaces/:workspaceId',
    connectorRoute(runtime, async (req, res, connector) => {
      const id = String(req.params.workspaceId);
      await runtime.workspaces.remove(connector.organizationId, id, await adminContext(runtime, req, 200));
      res.json({ removed: id });
    }),
  );
}
