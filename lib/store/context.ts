import type { Knex } from 'knex';
import type { Prepared } from './prepared.js';
import type { TableNames } from './tables.js';

export type Dialect = 'mysql' | 'sqlite';

/** What every store module needs: the connection (or transaction), table names and dialect. */
export interface StoreContext {
  db: Knex | Knex.Transaction;
  tables: TableNames;
  dialect: Dialect;
  /** The same connection (or transaction) for the hot paths' prepared statements. */
  prepared: Prepared;
}

export function dialectOf(knex: Knex): Dialect {
  const client = String(knex.client.config.client ?? '');
  if (client === 'mysql' || client === 'mysql2') return 'mysql';
  if (client === 'better-sqlite3' || client === 'sqlite3') return 'sqlite';
  throw new Error(`knex client "${client}" is not supported: use mysql2 or better-sqlite3`);
}

/** A unique-index violation, recognised on both databases without parsing messages. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errno?: number };
  return e?.code === 'ER_DUP_ENTRY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** MariaDB in strict mode refuses a value wider than its column (SQLite does not enforce widths). */
export function isDataTooLong(error: unknown): boolean {
  return (error as { code?: string })?.code === 'ER_DATA_TOO_LONG';
}

export const toDate = (ms: unknown): Date => new Date(Number(ms));
export const toDateOrNull = (ms: unknown): Date | null => (ms === null || ms === undefined ? null : new Date(Number(ms)));
export const toBool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Splits a large IN list so neither database hits its parameter limit. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
