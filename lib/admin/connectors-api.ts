import type { Request, Response, Router } from 'express';
import { InvalidInput } from '../model/errors.js';
import type { Runtime } from '../web/runtime.js';
import type { Filter } from '../model/filter.js';
import { scimBaseUrl } from '../scim/router.js';
import { SchemaRegistry } from '../model/schemas/registry.js';
import type { OidcSettingsInput } from '../policy/oidc.js';
import { redirectUri } from '../sso/configure.js';
import type { Connector } from '../model/types.js';
import { iso, type AdminConnector, type AdminGroup } from '../model/admin-wire.js';
import { asyncRoute } from '../web/http.js';
import { sendJsonError } from './guard.js';
import { adminContext } from './audit-context.js';
import { connectorRoute, connectorsInScope, connectorsPerPage, optionalInt } from './requests.js';
import { inScope } from './authorize.js';

const MAX_FILTER_LENGTH = 256;

/** A connector as the admin API answers it, from the connector and its live token count (read with it or apart). */
export function connectorWire(runtime: Runtime, c: Connector, liveTokenCount: number): AdminConnector {
  return {
    id: c.id,
    organizationId: c.organizationId,
    name: c.name,
    scimUrl: scimBaseUrl(runtime, c.settings.scimEndpoint),
    redirectUri: redirectUri(runtime.options),
    appRedirectUris: [...runtime.options.appRedirectUris],
    // Spelled out rather than spread, so a field added to the stored OIDC settings is not exposed by accident.
    oidc: {
      issuer: c.oidc.issuer,
      clientId: c.oidc.clientId,
      tenantId: c.oidc.tenantId,
      hasClientSecret: c.oidc.hasClientSecret,
    },
    settings: c.settings,
    defaultGroupId: c.defaultGroupId,
    ssoVerifiedAt: iso(c.ssoVerifiedAt),
    deprovisioningPausedAt: iso(c.deprovisioningPausedAt),
    liveTokenCount,
  };
}

/** One connector as the admin API answers it (reads its live tokens). */
export async function describeConnector(runtime: Runtime, c: Connector): Promise<AdminConnector> {
  return connectorWire(runtime, c, (await runtime.store.tokens.listLive(c.id)).length);
}

/** Groups by displayName with their member counts (the groups list and the default-group picker); `text` narrows to names containing it. */
export async function listGroups(
  runtime: Runtime,
  connectorId: string,
  text: string,
  count: number,
): Promise<{ totalResults: number; groups: AdminGroup[] }> {
  const registry = new SchemaRegistry('Group');
  const displayName = { raw: 'displayName', resolved: registry.resolve('displayName') };
  const filter: Filter | undefined = text ? { kind: 'compare', op: 'co', path: displayName, value: text } : undefined;
  const page = await runtime.store.groups.list(connectorId, {
    filter,
    sortBy: displayName.resolved,
    sortOrder: 'ascending',
    startIndex: 1,
    count,
  });
  const counts = await runtime.store.groups.memberCounts(page.items.map((g) => g.id));
  return {
    totalResults: page.totalResults,
    groups: page.items.map((g) => ({ id: g.id, displayName: g.displayName, memberCount: counts.get(g.id) ?? 0 })),
  };
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
 * `POST /api/connectors`: a connector in an organization this admin administers, from a preset
 * (model/presets.ts) and/or settings, through the connector policy (audited `connector.create`).
 * An organization outside the scope answers 404, exactly like one nobody administers.
 */
async function createConnector(runtime: Runtime, req: Request, res: Response): Promise<void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const organizationId = typeof body.organizationId === 'string' ? body.organizationId.trim() : body.organizationId;
  if (typeof organizationId === 'string' && organizationId && !inScope(req.identityAdminScope, organizationId)) {
    return sendJsonError(res, 404, 'not_found', `organization ${organizationId} not found`);
  }
  if (body.preset !== undefined && body.preset !== null && body.preset !== '' && typeof body.preset !== 'string') {
    throw new InvalidInput('invalidValue', 'preset must be the name of a preset', { field: 'preset' });
  }
  const preset = typeof body.preset === 'string' && body.preset !== '' ? body.preset : undefined;
  const input = { organizationId, name: body.name, preset, settings: body.settings };
  const created = await runtime.connectors.create(input, await adminContext(runtime, req, 201));
  runtime.logger.info('connector created by an admin', {
    connectorId: created.id,
    organizationId: created.organizationId,
    preset: preset ?? null,
    requestId: req.identityRequestId,
  });
  res
    .status(201)
    .location(`${runtime.options.mountPath}/admin/api/connectors/${created.id}`)
    .json(await describeConnector(runtime, created));
}

/**
 *   GET /api/connectors?count=50&cursor=…     { connectors, nextCursor }: a page, oldest first
 *   GET /api/connectors/:id
 *   POST /api/connectors                      { "organizationId", "name", "preset"?, "settings"? }
 *   PUT /api/connectors/:id/settings          { …partial settings }
 *   PUT /api/connectors/:id/oidc              { "tenantId"|"issuer", "clientId", "clientSecret"? }
 *   PUT /api/connectors/:id/tenant            { "tenantId": "GUID" | null }   (alone, with or without OIDC)
 *   PUT /api/connectors/:id/default-group     { "groupId": "…" | null }
 *   GET /api/connectors/:id/groups?filter=text&count=100
 *   POST /api/connectors/:id/deprovisioning/resume   (an admin confirms the deprovisioning the guard paused)
 */
export function registerConnectorRoutes(api: Router, runtime: Runtime): void {
  const { options } = runtime;

  api.get(
    '/connectors',
    asyncRoute(async (req, res) => {
      const count = optionalInt(req.query.count, { min: 1, max: options.maxPageSize }, connectorsPerPage(options));
      if (count == null)
        return sendJsonError(res, 400, 'invalid_request', `count must be an integer from 1 to ${options.maxPageSize}`);
      const cursor = req.query.cursor;
      if (cursor !== undefined && (typeof cursor !== 'string' || !cursor))
        return sendJsonError(res, 400, 'invalid_request', 'cursor must be the nextCursor of the previous page');
      const page = await connectorsInScope(runtime, req, { cursor, count });
      res.json({
        connectors: page.items.map((item) => connectorWire(runtime, item.connector, item.liveTokenCount)),
        nextCursor: page.nextCursor ?? null,
      });
    }),
  );

  api.post(
    '/connectors',
    asyncRoute((req, res) => createConnector(runtime, req, res)),
  );

  api.get(
    '/connectors/:id',
    connectorRoute(runtime, async (_req, res, connector) => {
      res.json(await describeConnector(runtime, connector));
    }),
  );

  api.put(
    '/connectors/:id/settings',
    connectorRoute(runtime, async (req, res, connector) => {
      const updated = await runtime.connectors.updateSettings(
        connector,
        req.body,
        await adminContext(runtime, req, 200),
      );
      res.json(await describeConnector(runtime, updated));
    }),
  );

  api.put(
    '/connectors/:id/oidc',
    connectorRoute(runtime, async (req, res, connector) => {
      // The OIDC policy encrypts the secret, audits the change (as actor admin) and logs it without the secret.
      const updated = await runtime.oidc.configure(
        connector.id,
        oidcInput((req.body ?? {}) as Record<string, unknown>),
        await adminContext(runtime, req, 200),
      );
      res.json(await describeConnector(runtime, updated));
    }),
  );

  api.put(
    '/connectors/:id/tenant',
    connectorRoute(runtime, async (req, res, connector) => {
      const updated = await runtime.oidc.setTenant(
        connector.id,
        ((req.body ?? {}) as Record<string, unknown>).tenantId,
        await adminContext(runtime, req, 200),
      );
      res.json(await describeConnector(runtime, updated));
    }),
  );

  api.put(
    '/connectors/:id/default-group',
    connectorRoute(runtime, async (req, res, connector) => {
      const groupId = (req.body as Record<string, unknown> | undefined)?.groupId;
      if (groupId !== null && (typeof groupId !== 'string' || !groupId)) {
        return sendJsonError(
          res,
          400,
          'invalid_request',
          "groupId must be the id of one of this connector's groups, or null for no default group",
        );
      }
      const updated = await runtime.connectors.setDefaultGroup(
        connector,
        groupId,
        await adminContext(runtime, req, 200),
      );
      res.json(await describeConnector(runtime, updated));
    }),
  );

  api.post(
    '/connectors/:id/deprovisioning/resume',
    connectorRoute(runtime, async (req, res, connector) => {
      const updated = await runtime.connectors.resumeDeprovisioning(connector, await adminContext(runtime, req, 200));
      res.json(await describeConnector(runtime, updated));
    }),
  );

  api.get(
    '/connectors/:id/groups',
    connectorRoute(runtime, async (req, res, connector) => {
      const text = typeof req.query.filter === 'string' ? req.query.filter.trim() : '';
      if (text.length > MAX_FILTER_LENGTH)
        return sendJsonError(res, 400, 'invalid_request', `filter is at most ${MAX_FILTER_LENGTH} characters`);
      const count = optionalInt(
        req.query.count,
        { min: 1, max: options.maxPageSize },
        Math.min(100, options.maxPageSize),
      );
      if (count == null)
        return sendJsonError(res, 400, 'invalid_request', `count must be an integer from 1 to ${options.maxPageSize}`);
      res.json(await listGroups(runtime, connector.id, text, count));
    }),
  );
}
