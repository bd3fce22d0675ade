import type { Request, Response, Router } from 'express';
import { SettingsError } from '../model/settings.js';
import type { Runtime } from '../web/runtime.js';
import type { Filter } from '../model/filter.js';
import { scimBaseUrl } from '../scim/router.js';
import { SchemaRegistry } from '../model/schemas/registry.js';
import { configureOidc, OidcSettingsError, redirectUri, type OidcSettingsInput } from '../sso/configure.js';
import { isStoreError } from '../store/errors.js';
import type { Connector } from '../model/types.js';
import { iso, type AdminConnector, type AdminGroup } from '../model/admin-wire.js';
import { asyncRoute } from '../web/http.js';
import { sendJsonError } from './guard.js';
import { adminContext } from './audit-context.js';
import { connectorRoute, connectorsInScope, optionalInt } from './requests.js';
import { inScope } from './authorize.js';

const MAX_FILTER_LENGTH = 256;

export async function describeConnector(runtime: Runtime, c: Connector): Promise<AdminConnector> {
  const live = await runtime.store.tokens.listLive(c.id);
  return {
    id: c.id, organizationId: c.organizationId, name: c.name,
    scimUrl: scimBaseUrl(runtime, c.settings.scimEndpoint), redirectUri: redirectUri(runtime.options),
    // Spelled out rather than spread, so a field added to the stored OIDC settings is not exposed by accident.
    oidc: { issuer: c.oidc.issuer, clientId: c.oidc.clientId, tenantId: c.oidc.tenantId, hasClientSecret: c.oidc.hasClientSecret },
    settings: c.settings, defaultGroupId: c.defaultGroupId, ssoVerifiedAt: iso(c.ssoVerifiedAt),
    deprovisioningPausedAt: iso(c.deprovisioningPausedAt), liveTokenCount: live.length,
  };
}

/** Groups by displayName with their member counts (the groups list and the default-group picker); `text` narrows to names containing it. */
export async function listGroups(runtime: Runtime, connectorId: string, text: string, count: number): Promise<{ totalResults: number; groups: AdminGroup[] }> {
  const registry = new SchemaRegistry('Group');
  const displayName = { raw: 'displayName', resolved: registry.resolve('displayName') };
  const filter: Filter | undefined = text ? { kind: 'compare', op: 'co', path: displayName, value: text } : undefined;
  const page = await runtime.store.groups.list(connectorId, { filter, sortBy: displayName.resolved, sortOrder: 'ascending', startIndex: 1, count });
  const counts = await runtime.store.groups.memberCounts(page.items.map((g) => g.id));
  return { totalResults: page.totalResults, groups: page.items.map((g) => ({ id: g.id, displayName: g.displayName, memberCount: counts.get(g.id) ?? 0 })) };
}

/** Only the fields configureOidc takes: anything else in the body is not passed on. */
function oidcInput(body: Record<string, unknown>): OidcSettingsInput {
  const input: Record<string, unknown> = {};
  for (const key of ['issuer', 'tenantId', 'clientId', 'clientSecret'] as const) {
    if (body[key] !== undefined && body[key] !== null) input[key] = body[key];
  }
  return input as unknown as OidcSettingsInput;
}

const MAX_NAME_LENGTH = 191;

/** A required one-line text field of the body (organization id, connector name), trimmed; undefined when missing or malformed. */
function textField(body: Record<string, unknown>, key: string): string | undefined {
  const value = typeof body[key] === 'string' ? body[key].trim() : '';
  return value && value.length <= MAX_NAME_LENGTH && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined;
}

/**
 * `POST /api/connectors`: a connector in an organization this admin administers, from a preset
 * (model/presets.ts) and/or settings, audited as `connector.create`. An organization outside
 * the scope answers 404, exactly like one nobody administers.
 */
async function createConnector(runtime: Runtime, req: Request, res: Response): Promise<void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const organizationId = textField(body, 'organizationId');
  if (!organizationId) return void res.status(400).json({ error: 'invalid_request', field: 'organizationId', message: `organizationId must be the organization's id (at most ${MAX_NAME_LENGTH} characters)` });
  if (!inScope(req.identityAdminScope, organizationId)) return sendJsonError(res, 404, 'not_found', `organization ${organizationId} not found`);
  const name = textField(body, 'name');
  if (!name) return void res.status(400).json({ error: 'invalid_request', field: 'name', message: `name must be a connector name of at most ${MAX_NAME_LENGTH} characters, e.g. "Entra ID"` });
  if (body.preset !== undefined && body.preset !== null && body.preset !== '' && typeof body.preset !== 'string') return void res.status(400).json({ error: 'invalid_request', field: 'preset', message: 'preset must be the name of a preset' });
  const preset = typeof body.preset === 'string' && body.preset !== '' ? body.preset : undefined;
  let created: Connector;
  try {
    created = await runtime.audit.change(await adminContext(runtime, req, 201), async (tx) => {
      const connector = await tx.connectors.create({ organizationId, name, preset, settings: body.settings ?? undefined });
      return { value: connector, record: { connectorId: connector.id, operation: 'connector.create', resourceType: 'Connector', resourceId: connector.id, detail: { organizationId, name, preset: preset ?? null } } };
    });
  } catch (error) {
    if (error instanceof SettingsError) return void res.status(400).json({ error: 'invalid_settings', field: preset && /preset/.test(error.message) ? 'preset' : 'settings', message: error.message });
    if (isStoreError(error, 'conflict')) return void res.status(409).json({ error: 'conflict', field: 'name', message: error.message });
    throw error;
  }
  runtime.logger.info('connector created by an admin', { connectorId: created.id, organizationId, preset: preset ?? null, requestId: req.identityRequestId });
  res.status(201).location(`${runtime.options.mountPath}/admin/api/connectors/${created.id}`).json(await describeConnector(runtime, created));
}

/**
 *   GET /api/connectors                       GET /api/connectors/:id
 *   POST /api/connectors                      { "organizationId", "name", "preset"?, "settings"? }
 *   PUT /api/connectors/:id/settings          { …partial settings }
 *   PUT /api/connectors/:id/oidc              { "tenantId"|"issuer", "clientId", "clientSecret"? }
 *   PUT /api/connectors/:id/default-group     { "groupId": "…" | null }
 *   GET /api/connectors/:id/groups?filter=text&count=100
 *   POST /api/connectors/:id/deprovisioning/resume   (an admin confirms the deprovisioning the guard paused)
 */
export function registerConnectorRoutes(api: Router, runtime: Runtime): void {
  const { options } = runtime;

  api.get('/connectors', asyncRoute(async (req, res) => {
    const connectors = await connectorsInScope(runtime, req);
    res.json({ connectors: await Promise.all(connectors.map((c) => describeConnector(runtime, c))) });
  }));

  api.post('/connectors', asyncRoute((req, res) => createConnector(runtime, req, res)));

  api.get('/connectors/:id', connectorRoute(runtime, async (_req, res, connector) => {
    res.json(await describeConnector(runtime, connector));
  }));

  api.put('/connectors/:id/settings', connectorRoute(runtime, async (req: Request, res: Response, connector: Connector) => {
    let updated: Connector;
    try {
      updated = await runtime.audit.change(await adminContext(runtime, req, 200), async (tx) => ({
        value: await tx.connectors.updateSettings(connector, req.body),
        record: { connectorId: connector.id, operation: 'connector.settings', resourceType: 'Connector', resourceId: connector.id, detail: { changed: Object.keys(req.body as object) } },
      }));
    } catch (error) {
      if (error instanceof SettingsError) return sendJsonError(res, 400, 'invalid_settings', error.message);
      throw error;
    }
    res.json(await describeConnector(runtime, updated));
  }));

  api.put('/connectors/:id/oidc', connectorRoute(runtime, async (req, res, connector) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      // configureOidc encrypts the secret, audits the change (as actor admin) and logs it without the secret.
      const { connector: updated } = await configureOidc(runtime, connector.id, oidcInput(body), await adminContext(runtime, req, 200));
      res.json(await describeConnector(runtime, updated));
    } catch (error) {
      if (!(error instanceof OidcSettingsError)) throw error;
      if (error.field === 'connector') return sendJsonError(res, 404, 'not_found', error.message);
      // Most messages already start with the field's name; the others get it in front.
      const message = error.message.startsWith(error.field) ? error.message : `${error.field}: ${error.message}`;
      res.status(400).json({ error: 'invalid_oidc_settings', field: error.field, message });
    }
  }));

  api.put('/connectors/:id/default-group', connectorRoute(runtime, async (req, res, connector) => {
    const groupId = (req.body as Record<string, unknown> | undefined)?.groupId;
    if (groupId !== null && (typeof groupId !== 'string' || !groupId)) {
      return sendJsonError(res, 400, 'invalid_request', 'groupId must be the id of one of this connector\'s groups, or null for no default group');
    }
    let updated: Connector;
    try {
      updated = await runtime.audit.change(await adminContext(runtime, req, 200), async (tx) => ({
        value: await tx.connectors.setDefaultGroup(connector.id, groupId),
        record: { connectorId: connector.id, operation: 'connector.default-group', resourceType: 'Connector', resourceId: connector.id, detail: { from: connector.defaultGroupId, to: groupId } },
      }));
    } catch (error) {
      if (isStoreError(error, 'invalid_reference')) return sendJsonError(res, 400, 'invalid_request', error.message);
      throw error;
    }
    res.json(await describeConnector(runtime, updated));
  }));

  api.post('/connectors/:id/deprovisioning/resume', connectorRoute(runtime, async (req, res, connector) => {
    if (!connector.deprovisioningPausedAt) return sendJsonError(res, 409, 'not_paused', 'deprovisioning of this connector is not paused');
    const updated = await runtime.audit.change(await adminContext(runtime, req, 200), async (tx) => ({
      value: await tx.connectors.resumeDeprovisioning(connector.id),
      record: { connectorId: connector.id, operation: 'connector.deprovisioning-resumed', resourceType: 'Connector', resourceId: connector.id, detail: { pausedAt: iso(connector.deprovisioningPausedAt) } },
    }));
    res.json(await describeConnector(runtime, updated));
  }));

  api.get('/connectors/:id/groups', connectorRoute(runtime, async (req, res, connector) => {
    const text = typeof req.query.filter === 'string' ? req.query.filter.trim() : '';
    if (text.length > MAX_FILTER_LENGTH) return sendJsonError(res, 400, 'invalid_request', `filter is at most ${MAX_FILTER_LENGTH} characters`);
    const count = optionalInt(req.query.count, { min: 1, max: options.maxPageSize }, Math.min(100, options.maxPageSize));
    if (count == null) return sendJsonError(res, 400, 'invalid_request', `count must be an integer from 1 to ${options.maxPageSize}`);
    res.json(await listGroups(runtime, connector.id, text, count));
  }));
}
