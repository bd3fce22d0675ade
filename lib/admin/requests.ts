import type { Request, RequestHandler, Response } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import type { ConnectorPage } from '../store/connectors.js';
import { asyncRoute } from '../web/http.js';
import { sendJsonError } from './guard.js';
import { inScope } from './authorize.js';

/**
 * The connector with this id if the request's admin scope includes its organization. Another
 * organization's connector is answered exactly like one that does not exist, so ids cannot be
 * probed across organizations.
 */
export async function scopedConnector(runtime: Runtime, req: Request, id: string): Promise<Connector | undefined> {
  const connector = id ? await runtime.store.connectors.get(id) : undefined;
  return connector && inScope(req.identityAdminScope, connector.organizationId) ? connector : undefined;
}

/** A page of the connectors list and of the admin pages' menu, unless `count` asks for another size. */
export const CONNECTORS_PER_PAGE = 50;

/** The default page size, within the largest page any list returns. */
export const connectorsPerPage = (options: { maxPageSize: number }): number =>
  Math.min(CONNECTORS_PER_PAGE, options.maxPageSize);

/**
 * A page of the connectors this admin may see, oldest first, each with its live token count: one
 * statement (store/connectors.ts page), the organization filter in SQL.
 */
export function connectorsInScope(
  runtime: Runtime,
  req: Request,
  query: { cursor?: string | null; count: number },
): Promise<ConnectorPage> {
  const scope = req.identityAdminScope;
  if (!scope) return Promise.resolve({ items: [] });
  return runtime.store.connectors.page(
    scope.organizations === 'all' ? {} : { organizationIds: scope.organizations },
    query,
  );
}

/**
 * A route under `/connectors/:id`: loads the connector first (inside the admin's scope), so
 * every handler can rely on it and an unknown or out-of-scope id answers the same 404
 * everywhere. It also names the connector on the request log line (requestLogger reads
 * identityConnectorId).
 */
export function connectorRoute(
  runtime: Runtime,
  handler: (req: Request, res: Response, connector: Connector) => Promise<unknown>,
): RequestHandler {
  return asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    const connector = await scopedConnector(runtime, req, id);
    if (!connector) return sendJsonError(res, 404, 'not_found', `connector ${id} not found`);
    req.identityConnectorId = connector.id;
    return handler(req, res, connector);
  });
}

/**
 * An optional integer in [min, max] from a query string or JSON body: `fallback` when absent,
 * undefined when present but invalid (the caller answers 400 naming the parameter).
 */
export function optionalInt(
  value: unknown,
  range: { min: number; max: number },
  fallback: number | null,
): number | null | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= range.min && n <= range.max ? n : undefined;
}
