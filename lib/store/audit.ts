import { toDate, type StoreContext } from './context.js';
import { valueGroups } from './prepared.js';
import type { AuditEvent, AuditInput } from '../model/types.js';

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

  async list(connectorId: string | null, options: { limit?: number; beforeId?: number; operation?: string } = {}): Promise<AuditEvent[]> {
    const q = this.ctx.db(this.ctx.tables.auditEvents).orderBy('id', 'desc').limit(Math.min(options.limit ?? 100, 1000));
    if (connectorId) q.where('connector_id', connectorId);
    if (options.beforeId) q.where('id', '<', options.beforeId);
    if (options.operation) q.where('operation', options.operation);
    return (await q).map(fromRow);
  }
}
