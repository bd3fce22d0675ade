import { Router, type Request, type Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Runtime } from '../runtime.js';
import type { IdentityStore } from '../store/index.js';
import type { StoredUser } from '../store/types.js';
import type { ReadOptions } from '../store/users.js';
import { ScimError, notFound } from './errors.js';
import { asyncRoute } from '../web/http.js';
import { etagOf, ifMatchVersion, notModified, sendScim } from './http.js';
import { parseListRequest } from './list-params.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch/apply.js';
import { parseAttributeList, project, wantsAttribute, type Projection } from './projection.js';
import { USER_REGISTRY } from './schemas/registry.js';
import { serializeUser, type Locations } from './serialize.js';
import { toUserWrite } from './user-write.js';
import { defaultLoginMethod } from '../policy/default-login-method.js';
import { normalizeResource } from './validate/normalize.js';

const registry = USER_REGISTRY;

function projectionOf(req: Request): Projection {
  return { attributes: parseAttributeList(req.query.attributes), excludedAttributes: parseAttributeList(req.query.excludedAttributes) };
}

function audit(res: Response, operation: string, resourceId?: string) {
  res.locals.audit = { operation, resourceType: 'User', resourceId };
}

/**
 * The user a write applies to, locked for this transaction, at the version If-Match names.
 * Seed 000: protected users (Organization Owners) are answered 403 and nothing changes.
 */
async function userForWrite(tx: IdentityStore, connectorId: string, id: string, req: Request, options: ReadOptions = {}): Promise<StoredUser> {
  const current = await tx.users.get(connectorId, id, { ...options, forUpdate: true });
  if (!current) throw notFound(`user ${id} not found`);
  if (current.protected) throw new ScimError(403, `user ${id} is protected by the platform and cannot be changed through SCIM`);
  const expected = ifMatchVersion(req);
  if (expected !== undefined && expected !== current.version) throw new ScimError(412, `user ${id} changed since version ${expected}; read it again`);
  return current;
}

export function usersRouter(runtime: Runtime, at: Locations): Router {
  const { store, options } = runtime;
  const router = Router();
  const send = (res: Response, status: number, user: StoredUser, projection: Projection) =>
    sendScim(res, status, project(serializeUser(user, at), registry, projection), { ETag: etagOf(user.version), Location: `${at.scimBase}/Users/${user.id}` });

  const list = async (req: Request, res: Response, source: Record<string, unknown>) => {
    const { connector } = principal(req);
    const request = parseListRequest(source, registry, options.maxPageSize);
    const withGroups = wantsAttribute(registry, request.projection, 'groups');
    const result = await store.users.list(connector.id, request.query, { withGroups });
    sendScim(res, 200, listResponse(request, result, (u) => project(serializeUser(u, at), registry, request.projection)));
  };

  router.get('/', asyncRoute((req, res) => list(req, res, req.query as Record<string, unknown>)));
  router.post('/.search', asyncRoute((req, res) => list(req, res, (req.body ?? {}) as Record<string, unknown>)));

  router.post('/', asyncRoute(async (req, res) => {
    audit(res, 'user.create');
    const { connector } = principal(req);
    const document = normalizeResource(registry, req.body, { mode: 'create', allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: connector.settings.acceptPassword });
    const projection = projectionOf(req);
    // A new user's only possible group is the connector's default group.
    const withGroups = connector.defaultGroupId !== null && wantsAttribute(registry, projection, 'groups');
    // The connector is in hand: its login-method default costs no query.
    const write = { ...await toUserWrite(document, connector), loginMethod: defaultLoginMethod(connector.oidc) };
    const user = await store.users.create(connector.id, write, { withGroups });
    audit(res, 'user.create', user.id);
    send(res, 201, user, projection);
  }));

  router.get('/:id', asyncRoute(async (req, res) => {
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const user = await store.users.get(connector.id, String(req.params.id), { withGroups: wantsAttribute(registry, projection, 'groups') });
    if (!user) throw notFound(`user ${req.params.id} not found`);
    if (notModified(req, user.version)) return sendScim(res, 304, undefined, { ETag: etagOf(user.version) });
    send(res, 200, user, projection);
  }));

  router.put('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'user.replace', id);
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const user = await store.transaction(async (tx) => {
      const current = await userForWrite(tx, connector.id, id, req);
      const document = normalizeResource(registry, req.body, { mode: 'replace', allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: connector.settings.acceptPassword });
      const write = await toUserWrite(document, connector, current.document);
      return tx.users.replace(connector.id, id, { ...write, expectedVersion: current.version }, { withGroups: wantsAttribute(registry, projection, 'groups') });
    });
    send(res, 200, user, projection);
  }));

  router.patch('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'user.patch', id);
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const respondWithBody = Boolean(projection.attributes || projection.excludedAttributes);
    const readOptions = { withGroups: respondWithBody && wantsAttribute(registry, projection, 'groups') };
    const user = await store.transaction(async (tx) => {
      const current = await userForWrite(tx, connector.id, id, req, readOptions);
      const result = applyPatch(registry, current.document, req.body, { allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: connector.settings.acceptPassword });
      if (!result.changed) return current;
      const write = await toUserWrite(result.document, connector, current.document);
      return tx.users.replace(connector.id, id, { ...write, expectedVersion: current.version }, readOptions);
    });
    // RFC 7644 §3.5.2: 204 unless the client asked for attributes; Entra accepts both.
    if (respondWithBody) {
      send(res, 200, user, projection);
    } else {
      sendScim(res, 204, undefined, { ETag: etagOf(user.version) });
    }
  }));

  router.delete('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'user.delete', id);
    const { connector } = principal(req);
    await store.transaction(async (tx) => {
      const current = await userForWrite(tx, connector.id, id, req);
      if (connector.settings.deleteMode === 'deactivate') {
        await tx.users.replace(connector.id, id, { document: { ...current.document, active: false }, expectedVersion: current.version });
      } else {
        await tx.users.delete(connector.id, id);
      }
    });
    sendScim(res, 204);
  }));

  return router;
}
