import type { Router } from 'express';
import type { AdminGroup } from '../model/admin-wire.js';
import type { StoredGroup } from '../model/types.js';
import { platformGroupBody, renameGroup } from '../policy/groups.js';
import type { Runtime } from '../web/runtime.js';
import { adminContext } from './audit-context.js';
import { connectorRoute } from './requests.js';

/**
 * The platform's own groups of a connector, through the one group-write path (policy/groups.ts,
 * audited `group.create`, `group.patch`, `group.delete`): IFS Ultimo refuses groups over SCIM,
 * yet "new users are added to a default group which can be set in the application". A bad name
 * answers 400, a name in use 409, an unknown group 404 (admin/errors.ts).
 *
 *   POST   /api/connectors/:id/groups              { "displayName" }   201 the group
 *   PUT    /api/connectors/:id/groups/:groupId     { "displayName" }   200 the group, renamed
 *   DELETE /api/connectors/:id/groups/:groupId                         204
 */
export function registerGroupRoutes(api: Router, runtime: Runtime): void {
  const shown = async (group: StoredGroup): Promise<AdminGroup> => ({
    id: group.id,
    displayName: group.displayName,
    memberCount: (await runtime.store.groups.memberCounts([group.id])).get(group.id) ?? 0,
  });

  api.post(
    '/connectors/:id/groups',
    connectorRoute(runtime, async (req, res, connector) => {
      const body = platformGroupBody((req.body as Record<string, unknown> | undefined)?.displayName);
      const group = await runtime.groups.create(connector, body, await adminContext(runtime, req, 201));
      res.status(201).json(await shown(group));
    }),
  );

  api.put(
    '/connectors/:id/groups/:groupId',
    connectorRoute(runtime, async (req, res, connector) => {
      const change = renameGroup((req.body as Record<string, unknown> | undefined)?.displayName);
      const group = await runtime.groups.patch(
        connector,
        String(req.params.groupId),
        change,
        await adminContext(runtime, req, 200),
      );
      res.json(await shown(group));
    }),
  );

  api.delete(
    '/connectors/:id/groups/:groupId',
    connectorRoute(runtime, async (req, res, connector) => {
      await runtime.groups.delete(connector, String(req.params.groupId), await adminContext(runtime, req, 204));
      res.status(204).end();
    }),
  );
}
