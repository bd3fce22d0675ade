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
