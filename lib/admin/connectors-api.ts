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

/**
 *   GET /api/connectors                       GET /api/connectors/:id
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
