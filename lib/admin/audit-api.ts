import type { Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { AuditEvent } from '../model/types.js';
import { sendJsonError } from './guard.js';
import { connectorRoute, optionalInt } from './requests.js';
import type { AdminAuditEvent } from '../model/admin-wire.js';

/** The store reads at most this many events at once. */
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 50;

export const auditJson = (e: AuditEvent): AdminAuditEvent => ({
  id: e.id, at: e.at.toISOString(), requestId: e.requestId, actor: e.actor, operation: e.operation,
  resourceType: e.resourceType, resourceId: e.resourceId, outcome: e.outcome, status: e.status, scimType: e.scimType, detail: e.detail,
});

/**
 *   GET /api/connectors/:id/audit?limit=50&beforeId=123
 * The provisioning log, newest first. Paging is by id (keyset): `nextBeforeId` continues it and
 * stays stable while Entra keeps writing new events at the top.
 */
export function registerAuditRoutes(api: Router, runtime: Runtime): void {
  api.get('/connectors/:id/audit', connectorRoute(runtime, async (req, res, connector) => {
    const limit = optionalInt(req.query.limit, { min: 1, max: MAX_LIMIT }, DEFAULT_LIMIT);
    if (limit == null) return sendJsonError(res, 400, 'invalid_request', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    const beforeId = optionalInt(req.query.beforeId, { min: 1, max: Number.MAX_SAFE_INTEGER }, null);
    if (beforeId === undefined) return sendJsonError(res, 400, 'invalid_request', 'beforeId must be a positive integer (an event id)');
    const events = await runtime.store.audit.list(connector.id, { limit, beforeId: beforeId ?? undefined });
    res.json({ events: events.map(auditJson), nextBeforeId: events.length === limit ? events[events.length - 1].id : null });
  }));
}
