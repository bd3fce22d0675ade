import { Router, type Request, type Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Runtime } from '../web/runtime.js';
import type { StoredUser } from '../model/types.js';
import { notFound } from './errors.js';
import { etagOf, ifMatchVersion, notModified, resourceRoutes, sendScim } from './http.js';
import { parseListRequest } from './list-params.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch/apply.js';
import { parseAttributeList, project, wantsAttribute, type Projection } from './projection.js';
import { userRegistryFor } from '../model/schemas/extension-sets.js';
import { serializeUser, type Locations } from './serialize.js';
import { documentRules } from '../model/settings.js';
import { attempt, scimAuditContext } from './audit-trail.js';

/** Whether the token's connector keeps (and so returns) attributes of undeclared extensions. */
const passthroughOf = (req: Request): boolean => principal(req).connector.settings.allowExtensionPassthrough;

function projectionOf(req: Request): Projection {
  return {
    attributes: parseAttributeList(req.query.attributes),
    excludedAttributes: parseAttributeList(req.query.excludedAttributes, 'excludedAttributes'),
  };
}

/**
 * `/Users` (RFC 7644 §3): SCIM translates here — list, search, create, read, replace, patch, delete — and the
 * user-write path (policy/user-writes.ts) decides and audits.
 */
export function usersRouter(runtime: Runtime, locations: (req: Request) => Locations): Router {
  const { store, options, users } = runtime;
  const router = Router();
  // The schemas of the connector the token belongs to: its declared extensions only.
  const registryOf = (req: Request) => userRegistryFor(principal(req).connector.settings);
  const send = (req: Request, res: Response, status: number, user: StoredUser, projection: Projection) => {
    const at = locations(req);
    sendScim(res, status, project(serializeUser(user, at), registryOf(req), projection, passthroughOf(req)), {
      ETag: etagOf(user.version),
      Location: `${at.scimBase}/Users/${user.id}`,
    });
  };

  const list = async (req: Request, res: Response, source: Record<string, unknown>) => {
    const { connector } = principal(req);
    const registry = registryOf(req);
    const request = parseListRequest(source, registry, options.maxPageSize, runtime.secrets);
    const withGroups = wantsAttribute(registry, request.projection, 'groups');
    const result = await store.users.list(connector.id, request.query, { withGroups });
    sendScim(
      res,
      200,
      listResponse(
        request,
        result,
        (u) => project(serializeUser(u, locations(req)), registry, request.projection, passthroughOf(req)),
        runtime.secrets,
      ),
    );
  };

  async function create(req: Request, res: Response) {
    attempt(res, 'user.create', 'User');
    const { connector } = principal(req);
    const registry = registryOf(req);
    const projection = projectionOf(req);
    // A new user's only possible group is the connector's default group.
    const withGroups = connector.defaultGroupId !== null && wantsAttribute(registry, projection, 'groups');
    const user = await users.create(connector, req.body, scimAuditContext(req, 201), { read: { withGroups } });
    send(req, res, 201, user, projection);
  }

  async function read(req: Request, res: Response) {
    const { connector } = principal(req);
    const registry = registryOf(req);
    const projection = projectionOf(req);
    const user = await store.users.get(connector.id, String(req.params.id), {
      withGroups: wantsAttribute(registry, projection, 'groups'),
    });
    if (!user) throw notFound(`user ${String(req.params.id)} not found`);
    if (notModified(req, user.version)) return sendScim(res, 304, undefined, { ETag: etagOf(user.version) });
    send(req, res, 200, user, projection);
  }

  async function replace(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'user.replace', 'User', id);
    const { connector } = principal(req);
    const registry = registryOf(req);
    const projection = projectionOf(req);
    const user = await users.replace(connector, id, req.body, scimAuditContext(req, 200), {
      expectedVersion: ifMatchVersion(req),
      read: { withGroups: wantsAttribute(registry, projection, 'groups') },
    });
    // `active: false` on a connector with `onDeactivate: "delete"` deleted the user. RFC 7644 §3.5.1
    // asks a PUT for 200 and the resource, but there is no resource left: a body would give a
    // location that answers 404 and an ETag of a version never stored. HTTP lets a successful PUT
    // answer 204 (RFC 9110 §9.3.4), a success Entra never counts against the app; its next GET
    // answers 404 and a later re-assignment creates the user again (POST).
    if (!user) return sendScim(res, 204);
    send(req, res, 200, user, projection);
  }

  async function patch(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'user.patch', 'User', id);
    const { connector } = principal(req);
    const registry = registryOf(req);
    const projection = projectionOf(req);
    const respondWithBody = Boolean(projection.attributes || projection.excludedAttributes);
    const readOptions = { withGroups: respondWithBody && wantsAttribute(registry, projection, 'groups') };
    const patch = (current: StoredUser) => {
      const result = applyPatch(registry, current.document, req.body, documentRules(connector.settings));
      return result.changed ? result.document : undefined;
    };
    const user = await users.update(
      connector,
      id,
      'user.patch',
      patch,
      scimAuditContext(req, respondWithBody ? 200 : 204),
      { expectedVersion: ifMatchVersion(req), read: readOptions },
    );
    // Deleted by `onDeactivate: "delete"`: 204 even when attributes were asked for (see PUT).
    if (!user) return sendScim(res, 204);
    // RFC 7644 §3.5.2: 204 unless the client asked for attributes; Entra accepts both.
    if (respondWithBody) {
      send(req, res, 200, user, projection);
    } else {
      sendScim(res, 204, undefined, { ETag: etagOf(user.version) });
    }
  }

  async function remove(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'user.delete', 'User', id);
    const { connector } = principal(req);
    await users.delete(connector, id, scimAuditContext(req, 204), { expectedVersion: ifMatchVersion(req) });
    sendScim(res, 204);
  }

  return resourceRoutes(router, { list, create, read, replace, patch, remove });
}
