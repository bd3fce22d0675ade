import { IdentityConnectorError } from '../model/errors.js';
import { isPgConnectionLost, UNAVAILABLE_CODES } from './dialect.js';

/**
 * Store failures as values, in the connector's one error family (model/errors.ts). The store
 * never answers HTTP; `status` is what the protocol layers (scim/error-handler.ts toScimError,
 * the admin API's error handler) answer with.
 */
export type StoreErrorCode =
  | 'not_found'
  | 'conflict'
  | 'version_mismatch'
  | 'invalid_reference'
  | 'invalid_configuration'
  | 'invalid_query'
  | 'too_long';

const STORE_STATUS: Record<StoreErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  version_mismatch: 412,
  invalid_reference: 400,
  invalid_configuration: 500,
  invalid_query: 400,
  too_long: 400,
};

/**
 * A failure the store detected: a missing row, a taken key, a stale version, a query it cannot run. One of the
 * family of `IdentityConnectorError`, so the SCIM and admin answers translate it like the others.
 *
 * @example
 * ```ts
 * import { StoreError, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * try {
 *   await identity.store.connectors.require('a-connector-id');
 * } catch (error) {
 *   if (error instanceof StoreError && error.code === 'not_found') console.log('no such connector');
 *   else throw error;
 * }
 * ```
 */
export class StoreError extends IdentityConnectorError {
  /** Which failure: see {@link StoreErrorCode}. */
  declare readonly code: StoreErrorCode;
  /** 404 `not_found`, 409 `conflict`, 412 `version_mismatch`, 500 `invalid_configuration`, else 400. */
  readonly status: number;
  constructor(
    code: StoreErrorCode,
    message: string,
    /** What the store knew of the failure (`attribute`, `missing` ids, the `current` version), for logs and answers. */
    readonly detail: Record<string, unknown> = {},
  ) {
    // A misconfigured connector is the operator's to fix: its message names settings, not the client's mistake.
    super(code, message, {
      expose: code !== 'invalid_configuration',
      field: typeof detail.attribute === 'string' ? detail.attribute : undefined,
    });
    this.status = STORE_STATUS[code];
  }
}

/**
 * Whether an error is a {@link StoreError}, of the given code when one is named.
 *
 * @example
 * ```ts
 * import { isStoreError, type IdentityConnector } from 'identity-connector';
 * declare const identity: IdentityConnector;
 * try {
 *   await identity.store.connectors.create({ organizationId: 'org-1', name: 'Entra production', preset: 'systam' });
 * } catch (error) {
 *   if (isStoreError(error, 'conflict')) console.log('org-1 already has a connector of that name');
 *   else throw error;
 * }
 * ```
 */
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
  return (
    e?.name === 'KnexTimeoutError' ||
    UNAVAILABLE_CODES.has(String(e?.code)) ||
    e?.fatal === true ||
    isPgConnectionLost(error)
  );
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
