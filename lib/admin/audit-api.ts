import type { Request, Router } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { AuditEvent, AuditQuery, Connector } from '../model/types.js';
import { sendJsonError } from './guard.js';
import { connectorRoute, optionalInt } from './requests.js';
import type { AdminAuditEvent } from '../model/admin-wire.js';

/** The store reads at most this many events at once. */
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 50;
const OUTCOMES = ['success', 'failure'] as const;
const MAX_FILTER_LENGTH = 320;

/** The user ids a group entry names as added or removed members (groups-routes.ts membershipDetail). */
function memberIds(e: AuditEvent): { added: string[]; removed: string[] } {
  if (e.resourceType !== 'Group' || !e.detail?.startsWith('{')) return { added: [], removed: [] };
  const detail = JSON.parse(e.detail) as { added?: unknown; removed?: unknown };
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { added: ids(detail.added), removed: ids(detail.removed) };
}

/** The admin behind an admin change (audit-context.ts puts their user id in the detail as `by`). */
function adminOf(e: AuditEvent): string | null {
  if (!e.detail?.startsWith('{')) return null;
  const by = (JSON.parse(e.detail) as { by?: unknown }).by;
  return typeof by === 'string' ? by : null;
}

/**
 * A page of the log as admins read it: each entry with its user's or group's name, and group
 * entries with the names of the members added and removed (a deleted user shows its id).
 */
export async function readLog(runtime: Runtime, connector: Connector, query: AuditQuery): Promise<AdminAuditEvent[]> {
  const events = await runtime.store.audit.list(connector.id, query);
  const members = events.map(memberIds);
  const admins = events.map(adminOf);
  // One read for every user the page names: members, and admins who are users of this connector.
  const ids = [
    ...new Set([
      ...members.flatMap((m) => [...m.added, ...m.removed]),
      ...admins.filter((a): a is string => a !== null),
    ]),
  ];
  const names = new Map((await runtime.store.users.getMany(connector.id, ids)).map((u) => [u.id, u.userName]));
  const named = (list: string[]) => list.map((id) => names.get(id) ?? id);
  return events.map((e, i) => ({
    id: e.id,
    at: e.at.toISOString(),
    requestId: e.requestId,
    actor: e.actor,
    operation: e.operation,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    resourceName: e.resourceName,
    outcome: e.outcome,
    status: e.status,
    scimType: e.scimType,
    detail: e.detail,
    membersAdded: named(members[i].added),
    membersRemoved: named(members[i].removed),
    by: admins[i] === null ? null : (names.get(admins[i]) ?? admins[i]),
  }));
}

/**
 * The log filter from a query string: `outcome`, `operation`, `user` (a user's id or userName),
 * `beforeId`; a message naming the parameter when one is malformed.
 */
export async function logQuery(
  runtime: Runtime,
  connector: Connector,
  query: Request['query'],
  limit: number,
): Promise<AuditQuery | string> {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const beforeId = optionalInt(query.beforeId, { min: 1, max: Number.MAX_SAFE_INTEGER }, null);
  if (beforeId === undefined) return 'beforeId must be a positive integer (an event id)';
  const outcome = text(query.outcome);
  if (outcome && !(OUTCOMES as readonly string[]).includes(outcome)) return 'outcome must be "success" or "failure"';
  const operation = text(query.operation);
  const user = text(query.user);
  if (operation.length > 64 || user.length > MAX_FILTER_LENGTH) return 'operation or user is too long';
  const named = user ? await runtime.store.users.findByUserName(connector.id, user) : undefined;
  return {
    limit,
    beforeId: beforeId ?? undefined,
    ...(outcome ? { outcome: outcome as AuditQuery['outcome'] } : {}),
    ...(operation ? { operation } : {}),
    ...(user ? { resourceId: named?.id ?? user } : {}),
  };
}

/**
 *   GET /api/connectors/:id/audit?limit=50&beforeId=123&outcome=failure&operation=user.patch&user=alice@…
 * The provisioning log, newest first. Paging is by id (keyset): `nextBeforeId` continues it and
 * stays stable while Entra keeps writing new events at the top.
 */
export function registerAuditRoutes(api: Router, runtime: Runtime): void {
  api.get(
    '/connectors/:id/audit',
    connectorRoute(runtime, async (req, res, connector) => {
      const limit = optionalInt(req.query.limit, { min: 1, max: MAX_LIMIT }, DEFAULT_LIMIT);
      if (limit == null)
        return sendJsonError(res, 400, 'invalid_request', `limit must be an integer from 1 to ${MAX_LIMIT}`);
      const query = await logQuery(runtime, connector, req.query, limit);
      if (typeof query === 'string') return sendJsonError(res, 400, 'invalid_request', query);
      const events = await readLog(runtime, connector, query);
      res.json({ events, nextBeforeId: events.length === limit ? events[events.length - 1].id : null });
    }),
  );
}
