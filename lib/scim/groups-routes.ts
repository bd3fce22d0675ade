import { Router, type NextFunction, type Request, type Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Runtime } from '../runtime.js';
import type { MemberInput, ResourceDocument, StoredGroup } from '../store/types.js';
import { ScimError, notFound } from './errors.js';
import type { Filter } from './filter/ast.js';
import { asyncRoute } from '../web/http.js';
import { etagOf, ifMatchVersion, notModified, sendScim } from './http.js';
import { parseListRequest } from './list-params.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch/apply.js';
import { parseAttributeList, project, wantsAttribute, type Projection } from './projection.js';
import { GROUP_REGISTRY } from './schemas/registry.js';
import { serializeGroup, withPrefix, type Locations } from './serialize.js';
import { normalizeResource } from './validate/normalize.js';

const registry = GROUP_REGISTRY;

function projectionOf(req: Request): Projection {
  return { attributes: parseAttributeList(req.query.attributes), excludedAttributes: parseAttributeList(req.query.excludedAttributes) };
}

function audit(res: Response, operation: string, resourceId?: string) {
  res.locals.audit = { operation, resourceType: 'Group', resourceId };
}

/** Members leave the document: they live in group_members, written set-based. */
function splitMembers(document: ResourceDocument, prefix: string): { document: ResourceDocument; members: MemberInput[] } {
  const { members, ...rest } = document;
  const list = Array.isArray(members) ? members : [];
  return {
    document: { ...rest, displayName: withPrefix(String(rest.displayName), prefix) },
    members: list.map((m) => ({ value: String((m as { value: unknown }).value), display: ((m as { display?: string }).display ?? null) })),
  };
}

/** Entra looks groups up by its own displayName: the connector's prefix is added to the filter too. */
function prefixFilter(filter: Filter, prefix: string): Filter {
  switch (filter.kind) {
    case 'and': case 'or': return { ...filter, left: prefixFilter(filter.left, prefix), right: prefixFilter(filter.right, prefix) };
    case 'not': return { ...filter, filter: prefixFilter(filter.filter, prefix) };
    case 'compare':
      if (filter.path.resolved?.canonicalPath === 'displayName' && typeof filter.value === 'string' && ['eq', 'ne', 'sw'].includes(filter.op)) {
        return { ...filter, value: withPrefix(filter.value, prefix) };
      }
      return filter;
    default: return filter;
  }
}

export function groupsRouter(runtime: Runtime, at: Locations): Router {
  const { store, options } = runtime;
  const router = Router();

  // Seed 003 provisions users only: every /Groups call is refused clearly.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (!principal(req).connector.settings.groupsEnabled) return next(new ScimError(403, 'this connector does not provision groups (groupsEnabled is false); remove group provisioning from the Entra application'));
    next();
  });

  const render = (req: Request, group: StoredGroup, projection: Projection) =>
    project(serializeGroup(group, at, principal(req).connector.settings.groupDisplayNamePrefix), registry, projection);
  const send = (req: Request, res: Response, status: number, group: StoredGroup, projection: Projection) =>
    sendScim(res, status, render(req, group, projection), { ETag: etagOf(group.version), Location: `${at.scimBase}/Groups/${group.id}` });

  const list = async (req: Request, res: Response, source: Record<string, unknown>) => {
    const { connector } = principal(req);
    const request = parseListRequest(source, registry, options.maxPageSize);
    if (request.query.filter && connector.settings.groupDisplayNamePrefix) request.query.filter = prefixFilter(request.query.filter, connector.settings.groupDisplayNamePrefix);
    // Entra sends excludedAttributes=members: then no membership row is read at all.
    const withMembers = wantsAttribute(registry, request.projection, 'members');
    const result = await store.groups.list(connector.id, request.query, { withMembers });
    sendScim(res, 200, listResponse(request, result, (g) => render(req, g, request.projection)));
  };

  router.get('/', asyncRoute((req, res) => list(req, res, req.query as Record<string, unknown>)));
  router.post('/.search', asyncRoute((req, res) => list(req, res, (req.body ?? {}) as Record<string, unknown>)));

  router.post('/', asyncRoute(async (req, res) => {
    audit(res, 'group.create');
    const { connector } = principal(req);
    const normalized = normalizeResource(registry, req.body, { mode: 'create', allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: false });
    const { document, members } = splitMembers(normalized, connector.settings.groupDisplayNamePrefix);
    const { group } = await store.groups.create(connector.id, document, members);
    audit(res, 'group.create', group.id);
    send(req, res, 201, group, projectionOf(req));
  }));

  router.get('/:id', asyncRoute(async (req, res) => {
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const group = await store.groups.get(connector.id, String(req.params.id), { withMembers: wantsAttribute(registry, projection, 'members') });
    if (!group) throw notFound(`group ${req.params.id} not found`);
    if (notModified(req, group.version)) return sendScim(res, 304, undefined, { ETag: etagOf(group.version) });
    send(req, res, 200, group, projection);
  }));

  router.put('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'group.replace', id);
    const { connector } = principal(req);
    const normalized = normalizeResource(registry, req.body, { mode: 'replace', allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: false });
    const { document, members } = splitMembers(normalized, connector.settings.groupDisplayNamePrefix);
    const projection = projectionOf(req);
    const { group } = await store.groups.update(connector.id, id, { document, membership: [{ op: 'replace', members }], expectedVersion: ifMatchVersion(req) }, { withMembers: wantsAttribute(registry, projection, 'members') });
    send(req, res, 200, group, projection);
  }));

  router.patch('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'group.patch', id);
    const { connector } = principal(req);
    const prefix = connector.settings.groupDisplayNamePrefix;
    const projection = projectionOf(req);
    const respondWithBody = Boolean(projection.attributes || projection.excludedAttributes);
    const readOptions = { withMembers: respondWithBody && wantsAttribute(registry, projection, 'members') };
    const group = await store.transaction(async (tx) => {
      const current = await tx.groups.get(connector.id, id, { ...readOptions, forUpdate: true });
      if (!current) throw notFound(`group ${id} not found`);
      const expected = ifMatchVersion(req);
      if (expected !== undefined && expected !== current.version) throw new ScimError(412, `group ${id} changed since version ${expected}; read it again`);
      const result = applyPatch(registry, current.document, req.body, { allowExtensionPassthrough: connector.settings.allowExtensionPassthrough, acceptPassword: false });
      if (!result.changed && !result.membership.length) return current;
      const document = result.changed ? { ...result.document, displayName: withPrefix(String(result.document.displayName), prefix) } : undefined;
      return (await tx.groups.update(connector.id, id, { document, membership: result.membership, expectedVersion: current.version }, readOptions)).group;
    });
    if (respondWithBody) send(req, res, 200, group, projection);
    else sendScim(res, 204, undefined, { ETag: etagOf(group.version) });
  }));

  router.delete('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    audit(res, 'group.delete', id);
    const { connector } = principal(req);
    if (!(await store.groups.delete(connector.id, id))) throw notFound(`group ${id} not found`);
    sendScim(res, 204);
  }));

  return router;
}
