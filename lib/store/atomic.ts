import type { IdentityStore } from './index.js';

/**
 * How a store module makes a multi-table write atomic: outside a transaction it re-enters
 * itself through `run`, which opens one; inside, it proceeds on the caller's transaction.
 */
export interface Atomic {
  outside: boolean;
  run<T>(fn: (store: IdentityStore) => Promise<T>): Promise<T>;
}
