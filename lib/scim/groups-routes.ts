import { Router, type NextFunction, type Request, type Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Runtime } from '../web/runtime.js';
import type { ConnectorSettings, MemberInput, ResourceDocument, StoredGroup } from '../model/types.js';
import { ScimError, notFound } from './errors.js';
import type { Filter } from '../model/filter.js';
import { asyncRoute } from '../web/http.js';
import { etagOf, ifMatchVersion, notModified, sendScim } from './http.js';
import { parseListRequest } from './list-params.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch/apply.js';
import { parseAttributeList, project, wantsAttribute, type Projection } from './projection.js';
import { GROUP_REGISTRY } from '../model/schemas/registry.js';
import { serializeGroup, withPrefix, type Locations } from './serialize.js';
import { normalizeResource } from '../model/validate/normalize.js';
import { documentRules } from '../model/settings.js';
import type { MembershipOutcome } from '../store/groups.js';
import { attempt, scimAuditContext } from './audit-trail.js';
import { changedAttributes } from '../policy/audit.js';
import { workspaceUsersDetail } from '../policy/workspaces.js';

const registry = GROUP_REGISTRY;

function projectionOf(req: Request): Projection {
  return { attributes: parseAttributeList(req.query.attributes), excludedAttributes: parseAttributeList(req.query.excludedAttributes, 'excludedAttributes') };
}

/** A group document as stored: its displayName carries the connector's prefix (Staffbase: `[SCIM] `). */
function stored(document: ResourceDocument, settings: ConnectorSettings): ResourceDocument {
  return { ...document, displayName: withPrefix(String(document.displayName), settings.groupDisplayNamePrefix) };
}

/** Members leave the document: they live in group_members, written set-based. */
function splitMembers(document: ResourceDocument, settings: ConnectorSettings): { document: ResourceDocument; members: MemberInput[] } {
  const { members, ...rest } = document;
  const list = Array.isArray(members) ? members : [];
  return {
    document: stored(rest, settings),
    members: list.map((m) => ({ value: String((m as { value: unknown }).value), display: ((m as { display?: string }).display ?? null) })),
  };
}

const groupRecord = (group: { id: string; connectorId: string; displayName: string }, operation: string, detail: Record<string, unknown>) => ({
  connectorId: group.connectorId, operation, resourceType: 'Group', resourceId: group.id, detail: { displayName: group.displayName, ...detail },
});

/** What a membership outcome says in the log: how many were added and removed. */
/** Members named in a log entry (the admin page shows their names); the counts are always whole. */
const MEMBERS_NAMED = 20;
const membershipDetail = (outcome: MembershipOutcome) => ({
  membersAdded: outcome.added.length, membersRemoved: outcome.removed === 'all' ? 'all' : outcome.removed.length,
  ...(outcome.added.length ? { added: outcome.added.slice(0, MEMBERS_NAMED) } : {}),
  ...(outcome.removed !== 'all' && outcome.removed.length ? { removed: outcome.removed.slice(0, MEMBERS_NAMED) } : {}),
});

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

export function groupsRouter(runtime: Runtime, locations: (req: Request) => Locations): Router {
  const { store, options, audit, workspaces } = runtime;
  const router = Router();

  // IFS Ultimo provisions users only: every /Groups call is refused clearly.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (!principal(req).connector.settings.groupsEnabled) return next(new ScimError(403, 'this connector does not provision groups (groupsEnabled is false); remove group provisioning from the Entra application'));
    next();
  });

  const render = (req: Request, group: StoredGroup, projection: Projection) => {
    const { settings } = principal(req).connector;
    return project(serializeGroup(group, locations(req), settings.groupDisplayNamePrefix), registry, projection, settings.allowExtensionPassthrough);
  };
  const send = (req: Request, res: Response, status: number, group: StoredGroup, projection: Projection) =>
    sendScim(res, status, render(req, group, projection), { ETag: etagOf(group.version), Location: `${locations(req).scimBase}/Groups/${group.id}` });

  const list = async (req: Request, res: Response, source: Record<string, unknown>) => {
    const { connector } = principal(req);
    const request = parseListRequest(source, registry, options.maxPageSize, runtime.secrets);
    if (request.query.filter && connector.settings.groupDisplayNamePrefix) request.query.filter = prefixFilter(request.query.filter, connector.settings.groupDisplayNamePrefix);
    // Entra sends excludedAttributes=members: then no membership row is read at all.
    const withMembers = wantsAttribute(registry, request.projection, 'members');
    const result = await store.groups.list(connector.id, request.query, { withMembers });
    sendScim(res, 200, listResponse(request, result, (g) => render(req, g, request.projection), runtime.secrets));
  };

  router.get('/', asyncRoute((req, res) => list(req, res, req.query as Record<string, unknown>)));
  router.post('/.search', asyncRoute((req, res) => list(req, res, (req.body ?? {}) as Record<string, unknown>)));

  router.post('/', asyncRoute(async (req, res) => {
    attempt(res, 'group.create', 'Group');
    const { connector } = principal(req);
    const normalized = normalizeResource(registry, req.body, { mode: 'create', ...documentRules(connector.settings) });
    const { document, members } = splitMembers(normalized, connector.settings);
    const group = await audit.change(scimAuditContext(req, 201), async (tx) => {
      // A group mapped to a workspace (Systam) re-decides its members' workspaces in this transaction.
      const { group, outcome, workspaces: moved } = await workspaces.groupWrite(tx, connector, undefined, { replacesMembers: false, userIds: [] }, () => tx.groups.create(connector.id, document, members));
      return { value: group, record: groupRecord(group, 'group.create', { ...membershipDetail(outcome), ...workspaceUsersDetail(moved) }) };
    });
    send(req, res, 201, group, projectionOf(req));
  }));

  router.get('/:id', asyncRoute(async (req, res) => {
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const group = await store.groups.get(connector.id, String(req.params.id), { withMembers: wantsAttribute(registry, projection, 'members') });
    if (!group) throw notFound(`group ${String(req.params.id)} not found`);
    if (notModified(req, group.version)) return sendScim(res, 304, undefined, { ETag: etagOf(group.version) });
    send(req, res, 200, group, projection);
  }));

  router.put('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    attempt(res, 'group.replace', 'Group', id);
    const { connector } = principal(req);
    const normalized = normalizeResource(registry, req.body, { mode: 'replace', ...documentRules(connector.settings) });
    const { document, members } = splitMembers(normalized, connector.settings);
    const projection = projectionOf(req);
    const group = await audit.change(scimAuditContext(req, 200), async (tx) => {
      const before = connector.settings.workspaces ? await tx.groups.get(connector.id, id, { forUpdate: true }) : undefined;
      const { group, outcome, workspaces: moved } = await workspaces.groupWrite(tx, connector, before, { replacesMembers: true, userIds: members.map((m) => m.value) },
        () => tx.groups.update(connector.id, id, { document, membership: [{ op: 'replace', members }], expectedVersion: ifMatchVersion(req) }, { withMembers: wantsAttribute(registry, projection, 'members') }));
      return { value: group, record: groupRecord(group, 'group.replace', { ...membershipDetail(outcome), ...workspaceUsersDetail(moved) }) };
    });
    send(req, res, 200, group, projection);
  }));

  router.patch('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    attempt(res, 'group.patch', 'Group', id);
    const { connector } = principal(req);
    const projection = projectionOf(req);
    const respondWithBody = Boolean(projection.attributes || projection.excludedAttributes);
    const readOptions = { withMembers: respondWithBody && wantsAttribute(registry, projection, 'members') };
    const group = await audit.change(scimAuditContext(req, respondWithBody ? 200 : 204), async (tx) => {
      const current = await tx.groups.get(connector.id, id, { ...readOptions, forUpdate: true });
      if (!current) throw notFound(`group ${id} not found`);
      const expected = ifMatchVersion(req);
      if (expected !== undefined && expected !== current.version) throw new ScimError(412, `group ${id} changed since version ${expected}; read it again`);
      const result = applyPatch(registry, current.document, req.body, documentRules(connector.settings));
      if (!result.changed && !result.membership.length) return { value: current, record: groupRecord(current, 'group.patch', { changed: [] }) };
      const document = result.changed ? stored(result.document, connector.settings) : undefined;
      const replacesMembers = result.membership.some((step) => step.op === 'removeAll' || step.op === 'replace');
      const userIds = result.membership.flatMap((step) => (step.op === 'remove' ? step.userIds : step.op === 'removeAll' ? [] : step.members.map((m) => m.value)));
      const { group, outcome, workspaces: moved } = await workspaces.groupWrite(tx, connector, current, { replacesMembers, userIds },
        () => tx.groups.update(connector.id, id, { document, membership: result.membership, expectedVersion: current.version }, readOptions));
      return { value: group, record: groupRecord(group, 'group.patch', { changed: document ? changedAttributes(current.document, document) : [], ...membershipDetail(outcome), ...workspaceUsersDetail(moved) }) };
    });
    if (respondWithBody) send(req, res, 200, group, projection);
    else sendScim(res, 204, undefined, { ETag: etagOf(group.version) });
  }));

  router.delete('/:id', asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    attempt(res, 'group.delete', 'Group', id);
    const { connector } = principal(req);
    await audit.change(scimAuditContext(req, 204), async (tx) => {
      const current = await tx.groups.get(connector.id, id, { forUpdate: true });
      const result = current && await workspaces.groupDelete(tx, connector, current);
      if (!current || !result?.deleted) throw notFound(`group ${id} not found`);
      return { value: undefined, record: groupRecord(current, 'group.delete', workspaceUsersDetail(result.workspaces)) };
    });
    sendScim(res, 204);
  }));

  return router;
}
