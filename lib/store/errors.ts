import { IdentityConnectorError } from '../model/errors.js';

/**
 * Store failures as values, in the connector's one error family (model/errors.ts). The store
 * never answers HTTP; `status` is what the protocol layers (scim/error-handler.ts toScimError,
 * the admin API's error handler) answer with.
 */
export type StoreErrorCode = 'not_found' | 'conflict' | 'version_mismatch' | 'invalid_reference' | 'invalid_configuration' | 'invalid_query' | 'too_long';

const STORE_STATUS: Record<StoreErrorCode, number> = {
  not_found: 404, conflict: 409, version_mismatch: 412, invalid_reference: 400, invalid_configuration: 500, invalid_query: 400, too_long: 400,
};

/** A failure the store detected: a missing row, a taken key, a stale version, a query it cannot run. */
export class StoreError extends IdentityConnectorError {
  declare readonly code: StoreErrorCode;
  readonly status: number;
  constructor(code: StoreErrorCode, message: string, readonly detail: Record<string, unknown> = {}) {
    // A misconfigured connector is the operator's to fix: its message names settings, not the client's mistake.
    super(code, message, { expose: code !== 'invalid_configuration', field: typeof detail.attribute === 'string' ? detail.attribute : undefined });
    this.status = STORE_STATUS[code];
  }
}

export const isStoreError = (e: unknown, code?: StoreErrorCode): e is StoreError =>
  e instanceof StoreError && (code === undefined || e.code === code);

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT', 'ER_STATEMENT_TIMEOUT', 'SQLITE_BUSY',
  // A deadlock victim's whole transaction was rolled back by the server, so a retry is safe and
  // usually succeeds; Entra retries a 503, while a 500 would count toward quarantine.
  'ER_LOCK_DEADLOCK',
]);

/**
 * The database is away, overloaded or frozen (connection refused or lost, no pooled connection in
 * time, lock waits), as opposed to a query this request got wrong: the client should retry later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; fatal?: boolean } | undefined;
  // mysql2 marks connection-level failures `fatal` ("Can't add new command when connection is in closed state" has no code).
  return e?.name === 'KnexTimeoutError' || UNAVAILABLE_CODES.has(String(e?.code)) || e?.fatal === true;
}
