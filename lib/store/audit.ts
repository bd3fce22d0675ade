import { toDate, type StoreContext } from './context.js';
import { valueGroups } from './prepared.js';
import type { AuditEvent, AuditInput, AuditQuery } from '../model/types.js';

type Row = Record<string, unknown>;
const DETAIL_LIMIT = 2000;

function fromRow(row: Row): AuditEvent {
  return {
    id: Number(row.id),
    connectorId: (row.connector_id as string | null) ?? null,
    at: toDate(row.at),
    requestId: (row.request_id as string | null) ?? null,
    actor: String(row.actor),
    operation: String(row.operation),
    resourceType: (row.resource_type as string | null) ?? null,
    resourceId: (row.resource_id as string | null) ?? null,
    outcome: row.outcome as AuditEvent['outcome'],
    status: row.status === null ? null : Number(row.status),
    scimType: (row.scim_type as string | null) ?? null,
    detail: (row.detail as string | null) ?? null,
    resourceName: (row.user_name as string | null) ?? (row.group_name as string | null) ?? null,
  };
}

/** The provisioning log. Callers pass no secrets; details are truncated. */
export class AuditStore {
  constructor(private readonly ctx: StoreContext) {}

  /** Every change writes one: a prepared statement (prepared.ts), on the change's transaction. */
  async record(event: AuditInput): Promise<void> {
    await this.ctx.prepared.run(
      `INSERT INTO ${this.ctx.tables.auditEvents} (connector_id, at, request_id, actor, operation, resource_type, resource_id, outcome, status, scim_type, detail) VALUES ${valueGroups(1, 11)}`,
      [
        event.connectorId,
        (event.at ?? new Date()).getTime(),
        event.requestId?.slice(0, 64) ?? null,
        event.actor.slice(0, 191),
        event.operation.slice(0, 64),
        event.resourceType,
        event.resourceId?.slice(0, 36) ?? null,
        event.outcome,
        event.status,
        event.scimType,
        event.detail?.slice(0, DETAIL_LIMIT) ?? null,
      ],
    );
  }

  /**
   * Newest first, filtered in SQL. Each entry carries the current name of its user or group
   * (one left join each on the primary key), so the log reads "Alice", not an id.
   */
  async list(connectorId: string | null, options: AuditQuery = {}): Promise<AuditEvent[]> {
    const { auditEvents, users, groups } = this.ctx.tables;
    const q = this.ctx
      .db(`${auditEvents} as a`)
      .leftJoin(`${users} as u`, function joinUser() {
        this.on('u.id', 'a.resource_id').andOnVal('a.resource_type', '=', 'User');
      })
      .leftJoin(`${groups} as g`, function joinGroup() {
        this.on('g.id', 'a.resource_id').andOnVal('a.resource_type', '=', 'Group');
      })
      .select('a.*', 'u.user_name', 'g.display_name as group_name')
      .orderBy('a.id', 'desc')
      .limit(Math.min(options.limit ?? 100, 1000));
    if (connectorId) q.where('a.connector_id', connectorId);
    if (options.beforeId) q.where('a.id', '<', options.beforeId);
    if (options.operation) q.where('a.operation', options.operation);
    if (options.outcome) q.where('a.outcome', options.outcome);
    if (options.resourceId) q.where('a.resource_id', options.resourceId);
    return (await q).map(fromRow);
  }
}
