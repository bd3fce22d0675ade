import type { Request, Response, Router } from 'express';
import type { AdminGroup } from '../model/admin-wire.js';
import { InvalidInput } from '../model/errors.js';
import type { Connector } from '../model/types.js';
import { PlatformGroups } from '../policy/platform-groups.js';
import { isStoreError } from '../store/errors.js';
import type { Runtime } from '../web/runtime.js';
import { adminContext } from './audit-context.js';
import { sendJsonError } from './guard.js';
import { connectorRoute } from './requests.js';

const MAX_GROUP_NAME = 255;

/**
 * The platform's own groups of a connector (policy/platform-groups.ts): IFS Ultimo refuses groups
 * over SCIM, so its default group is made here.
 *
 *   POST   /api/connectors/:id/groups              { "displayName" }   201 the group
 *   PUT    /api/connectors/:id/groups/:groupId     { "displayName" }   200 the group, renamed
 *   DELETE /api/connectors/:id/groups/:groupId                         204
 */
export function registerGroupRoutes(api: Router, runtime: Runtime): void {
  const groups = new PlatformGroups(runtime.audit, runtime.workspaces);

  /** Runs a group write and answers its refusals: 400 for a bad name, 404, 409 for a name in use. */
  const write = (status: number, run: (req: Request, connector: Connector, context: Awaited<ReturnType<typeof adminContext>>) => Promise<AdminGroup | undefined>) =>
    connectorRoute(runtime, async (req: Request, res: Response, connector: Connector) => {
      try {
        const group = await run(req, connector, await adminContext(runtime, req, status));
        if (group) res.status(status).json(group);
        else res.status(status).end();
      } catch (error) {
        if (error instanceof InvalidInput) return sendJsonError(res, 400, 'invalid_request', error.message);
        if (isStoreError(error, 'not_found')) return sendJsonError(res, 404, 'not_found', error.message);
        if (isStoreError(error, 'conflict')) return sendJsonError(res, 409, 'conflict', `a group named “${String(req.body?.displayName ?? '').trim()}” already exists in this connector`);
        throw error;
      }
    });

  api.post('/connectors/:id/groups', write(201, async (req, connector, context) => {
    const group = await groups.create(connector, displayName(req), context);
    return { id: group.id, displayName: group.displayName, memberCount: 0 };
  }));

  api.put('/connectors/:id/groups/:groupId', write(200, async (req, connector, context) => {
    const group = await groups.rename(connector, String(req.params.groupId), displayName(req), context);
    const counts = await runtime.store.groups.memberCounts([group.id]);
    return { id: group.id, displayName: group.displayName, memberCount: counts.get(group.id) ?? 0 };
  }));

  api.delete('/connectors/:id/groups/:groupId', write(204, async (req, connector, context) => {
    await groups.delete(connector, String(req.params.groupId), context);
    return undefined;
  }));
}

/** The body's group name: a non-empty line of at most 255 characters. */
function displayName(req: Request): string {
  const value = (req.body as Record<string, unknown> | undefined)?.displayName;
  const name = typeof value === 'string' ? value.trim() : '';
  if (!name || name.length > MAX_GROUP_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInput('invalidValue', `displayName must be a group name of 1 to ${MAX_GROUP_NAME} characters`);
  }
  return name;
}
