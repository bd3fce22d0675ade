import type { Knex } from 'knex';
import type { Prepared } from './prepared.js';
import type { Dialect, Idioms } from './dialect.js';
import type { TableNames } from './tables.js';

export { dialectOf, isDataTooLong, isUniqueViolation, type Dialect } from './dialect.js';

/** What every store module needs: the connection (or transaction), table names and dialect. */
export interface StoreContext {
  db: Knex | Knex.Transaction;
  tables: TableNames;
  dialect: Dialect;
  /** The SQL that differs between the databases (dialect.ts). */
  idioms: Idioms;
  /** The same connection (or transaction) for the hot paths' prepared statements. */
  prepared: Prepared;
}

/** A stored time (epoch milliseconds, as a number or the string some drivers return for BIGINT) as a Date. */
export const toDate = (ms: unknown): Date => new Date(Number(ms));
/** {@link toDate} for a nullable column: null and undefined stay null. */
export const toDateOrNull = (ms: unknown): Date | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms));
/** A stored boolean as a boolean: drivers answer `true`, `1` or `'1'` (SQLite and MariaDB have no boolean type). */
export const toBool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Splits a large IN list so neither database hits its parameter limit. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
