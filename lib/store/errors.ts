import { isPgConnectionLost, UNAVAILABLE_CODES } from './dialect.js';

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

/**
 * The database is away, overloaded or frozen (connection refused or lost, no pooled connection in
 * time, lock waits), or rolled this transaction back as a deadlock victim or a serialization
 * failure, as opposed to a query this request got wrong: the client should retry later. Entra
 * retries a 503, while a 500 would count toward quarantine.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; fatal?: boolean } | undefined;
  // mysql2 marks connection-level failures `fatal` ("Can't add new command when connection is in closed state" has no code).
  return e?.name === 'KnexTimeoutError' || UNAVAILABLE_CODES.has(String(e?.code)) || e?.fatal === true || isPgConnectionLost(error);
}
