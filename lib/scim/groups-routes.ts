import { Router, type NextFunction, type Request, type Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Runtime } from '../web/runtime.js';
import type { StoredGroup } from '../model/types.js';
import { ScimError, notFound } from './errors.js';
import type { Filter } from '../model/filter.js';
import { etagOf, ifMatchVersion, notModified, resourceRoutes, sendScim } from './http.js';
import { parseListRequest } from './list-params.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch/apply.js';
import { parseAttributeList, project, wantsAttribute, type Projection } from './projection.js';
import { GROUP_REGISTRY } from '../model/schemas/registry.js';
import { serializeGroup, type Locations } from './serialize.js';
import { documentRules } from '../model/settings.js';
import { attempt, scimAuditContext } from './audit-trail.js';
import { withPrefix } from '../policy/groups.js';

const registry = GROUP_REGISTRY;

function projectionOf(req: Request): Projection {
  return {
    attributes: parseAttributeList(req.query.attributes),
    excludedAttributes: parseAttributeList(req.query.excludedAttributes, 'excludedAttributes'),
  };
}

/** Entra looks groups up by its own displayName: the connector's prefix is added to the filter too. */
function prefixFilter(filter: Filter, prefix: string): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { ...filter, left: prefixFilter(filter.left, prefix), right: prefixFilter(filter.right, prefix) };
    case 'not':
      return { ...filter, filter: prefixFilter(filter.filter, prefix) };
    case 'compare':
      if (
        filter.path.resolved?.canonicalPath === 'displayName' &&
        typeof filter.value === 'string' &&
        ['eq', 'ne', 'sw'].includes(filter.op)
      ) {
        return { ...filter, value: withPrefix(filter.value, prefix) };
      }
      return filter;
    default:
      return filter;
  }
}

/**
 * `/Groups`: SCIM translates here, the group-write path (policy/groups.ts) decides and audits.
 * Each handler is named after what it answers.
 */
export function groupsRouter(runtime: Runtime, locations: (req: Request) => Locations): Router {
  const { store, options, groups } = runtime;
  const router = Router();

  const render = (req: Request, group: StoredGroup, projection: Projection) => {
    const { settings } = principal(req).connector;
    return project(
      serializeGroup(group, locations(req), settings.groupDisplayNamePrefix),
      registry,
      projection,
      settings.allowExtensionPassthrough,
    );
  };
  const send = (req: Request, res: Response, status: number, group: StoredGroup, projection: Projection) =>
    sendScim(res, status, render(req, group, projection), {
      ETag: etagOf(group.version),
      Location: `${locations(req).scimBase}/Groups/${group.id}`,
    });

  /** GET / and POST /.search: a page of the connector's groups. */
  async function list(req: Request, res: Response, source: Record<string, unknown>) {
    const { connector } = principal(req);
    const request = parseListRequest(source, registry, options.maxPageSize, runtime.secrets);
    const prefix = connector.settings.groupDisplayNamePrefix;
    if (request.query.filter && prefix) request.query.filter = prefixFilter(request.query.filter, prefix);
    // Entra sends excludedAttributes=members: then no membership row is read at all.
    const withMembers = wantsAttribute(registry, request.projection, 'members');
    const result = await store.groups.list(connector.id, request.query, { withMembers });
    sendScim(
      res,
      200,
      listResponse(request, result, (g) => render(req, g, request.projection), runtime.secrets),
    );
  }

  async function create(req: Request, res: Response) {
    attempt(res, 'group.create', 'Group');
    const group = await groups.create(principal(req).connector, req.body, scimAuditContext(req, 201));
    send(req, res, 201, group, projectionOf(req));
  }

  async function read(req: Request, res: Response) {
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const group = await store.groups.get(connector.id, String(req.params.id), {
      withMembers: wantsAttribute(registry, projection, 'members'),
    });
    if (!group) throw notFound(`group ${String(req.params.id)} not found`);
    if (notModified(req, group.version)) return sendScim(res, 304, undefined, { ETag: etagOf(group.version) });
    send(req, res, 200, group, projection);
  }

  async function replace(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'group.replace', 'Group', id);
    const projection = projectionOf(req);
    const options = {
      expectedVersion: ifMatchVersion(req),
      withMembers: wantsAttribute(registry, projection, 'members'),
    };
    const group = await groups.replace(principal(req).connector, id, req.body, scimAuditContext(req, 200), options);
    send(req, res, 200, group, projection);
  }

  async function patch(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'group.patch', 'Group', id);
    const { connector } = principal(req);
    const projection = projectionOf(req);
    // RFC 7644 §3.5.2: 204 unless the client asked for attributes; Entra accepts both.
    const respondWithBody = Boolean(projection.attributes || projection.excludedAttributes);
    const options = {
      expectedVersion: ifMatchVersion(req),
      withMembers: respondWithBody && wantsAttribute(registry, projection, 'members'),
    };
    const change = (current: StoredGroup) => {
      const result = applyPatch(registry, current.document, req.body, documentRules(connector.settings));
      return { document: result.changed ? result.document : undefined, membership: result.membership };
    };
    const group = await groups.patch(
      connector,
      id,
      change,
      scimAuditContext(req, respondWithBody ? 200 : 204),
      options,
    );
    if (respondWithBody) send(req, res, 200, group, projection);
    else sendScim(res, 204, undefined, { ETag: etagOf(group.version) });
  }

  async function remove(req: Request, res: Response) {
    const id = String(req.params.id);
    attempt(res, 'group.delete', 'Group', id);
    await groups.delete(principal(req).connector, id, scimAuditContext(req, 204));
    sendScim(res, 204);
  }

  router.use(groupsEnabled);
  return resourceRoutes(router, { list, create, read, replace, patch, remove });
}

/** IFS Ultimo provisions users only: every /Groups call is refused clearly. */
function groupsEnabled(req: Request, _res: Response, next: NextFunction): void {
  if (!principal(req).connector.settings.groupsEnabled)
    return next(
      new ScimError(
        403,
        'this connector does not provision groups (groupsEnabled is false); remove group provisioning from the Entra application',
      ),
    );
  next();
}
