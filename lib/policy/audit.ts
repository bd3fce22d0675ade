import type { Logger } from 'winston';
import { errorFields } from '../runtime/log.js';
import type { IdentityStore } from '../store/index.js';

/** Who caused an audited change: `scim-token:<prefix>`, `sso`, `admin`, `cli`, `host`, … */
export interface AuditContext {
  /** Who acted, as the audit row's `actor`: a host's own writes default to `host`. */
  actor: string;
  /** The request's id, to join the audit row to its log lines. */
  requestId?: string | null;
  /** The status the caller will answer with, when it answers over HTTP. */
  status?: number | null;
  /** The person behind the actor (an admin's user id, as the host's currentUser names it). */
  by?: string | null;
}

/** What happened, to what. `detail` is shown on the admin page: never a token or a secret. */
export interface AuditRecord {
  connectorId: string | null;
  operation: string;
  resourceType: string | null;
  resourceId: string | null;
  detail?: Record<string, unknown> | string | null;
  scimType?: string | null;
  status?: number | null;
  /** A refusal recorded with the change it still commits (a sign-in refused after Entra verified it). Default: success. */
  outcome?: 'success' | 'failure';
}

/** Top-level attributes (and extension URNs) whose value differs: names only, values may be personal. */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => k !== 'schemas' && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** Attributes whose old and new values the log may show: single-valued, never a secret. */
const SECRET_ATTRIBUTES = new Set(['password']);
type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar | undefined =>
  v === undefined || v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * Old → new of the changed top-level attributes that hold one plain value (active, userName,
 * displayName, title…): what the admin needs to read "Alice was deactivated". Multi-valued and
 * complex attributes (emails, name) and secrets are named by changedAttributes only.
 */
export function changedValues(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  changed = changedAttributes(before, after),
): Record<string, { from: Scalar; to: Scalar }> {
  const shown: Record<string, { from: Scalar; to: Scalar }> = {};
  for (const key of changed) {
    const [from, to] = [before[key], after[key]];
    if (SECRET_ATTRIBUTES.has(key) || !isScalar(from) || !isScalar(to)) continue;
    shown[key] = { from: from ?? null, to: to ?? null };
  }
  return shown;
}

function detailText(d: AuditRecord['detail'], by: string | null | undefined): string | null {
  if (typeof d === 'string') return d;
  if (by === undefined) return d ? JSON.stringify(d) : null;
  return JSON.stringify({ ...d, by });
}

/**
 * The one way anything reaches the provisioning log, with one failure policy:
 * - a change and its audit row commit in the same transaction (`change`, or `inside` when the
 *   caller already holds one), so nothing commits without its record and a change commits once;
 *   if the row cannot be written, the change rolls back and the caller sees the error;
 * - a refused or failed request is recorded after its transaction rolled back (`refusal`); if
 *   that row cannot be written the answer stays what it was and the operator gets a log line;
 * - an event that changes nothing (a sign-in) is recorded the same way (`event`).
 */
export class AuditWriter {
  constructor(
    readonly store: IdentityStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs `fn` in a transaction (or the caller's) and records its success in it. A `null` record
   * says the statement changed nothing (another writer did it first): no row, since nothing happened.
   */
  change<T>(
    context: AuditContext,
    fn: (tx: IdentityStore) => Promise<{ value: T; record: AuditRecord | null }>,
  ): Promise<T> {
    return this.store.transaction(async (tx) => {
      const { value, record } = await fn(tx);
      if (record) await this.inside(tx, context, record);
      return value;
    });
  }

  /** Records a success on the caller's transaction. */
  async inside(tx: IdentityStore, context: AuditContext, record: AuditRecord): Promise<void> {
    await tx.audit.record(this.row(context, record, record.outcome ?? 'success'));
  }

  /** Records a refusal or failure; never throws. */
  refusal(context: AuditContext, record: AuditRecord): Promise<void> {
    return this.event(context, record, 'failure');
  }

  /** Records what happened outside any change; never throws. */
  async event(context: AuditContext, record: AuditRecord, outcome: 'success' | 'failure'): Promise<void> {
    try {
      await this.store.audit.record(this.row(context, record, outcome));
    } catch (error) {
      this.logger.error('audit record failed', {
        operation: record.operation,
        connectorId: record.connectorId,
        requestId: context.requestId ?? undefined,
        ...errorFields(error),
      });
    }
  }

  private row(context: AuditContext, record: AuditRecord, outcome: 'success' | 'failure') {
    return {
      connectorId: record.connectorId,
      requestId: context.requestId ?? null,
      actor: context.actor,
      operation: record.operation,
      resourceType: record.resourceType,
      resourceId: record.resourceId,
      outcome,
      status: record.status ?? context.status ?? null,
      scimType: record.scimType ?? null,
      detail: detailText(record.detail, context.by),
    };
  }
}
