/**
 * Store failures as values. The store never knows HTTP; the protocol layers map these
 * (scim/error-handler.ts toScimError, sso refusals) to status codes.
 */
export type StoreErrorCode = 'not_found' | 'conflict' | 'version_mismatch' | 'invalid_reference' | 'invalid_configuration' | 'invalid_query' | 'too_long';

export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string, readonly detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'StoreError';
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

/**
 * A write that lost a race and was rolled back whole, so running it again is safe: a MariaDB/MySQL
 * deadlock victim, and Galera's certification failure (a transaction whose rows another node
 * committed first; MariaDB reports it as the same deadlock error, on the statement or the
 * commit), and PostgreSQL's serialization failure and deadlock.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | undefined;
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === '40001' || e?.code === '40P01';
}
