import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { Prepared } from './prepared.js';

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown>;
}

/** The statement that opens a store transaction, per database. */
const BEGIN: Record<Dialect, string> = {
  // IMMEDIATE takes the write lock at BEGIN: every store transaction writes, and a deferred one
  // that read first could not take the lock once another process had committed (SQLITE_BUSY at
  // once, whatever busy_timeout says).
  sqlite: 'BEGIN IMMEDIATE',
  mysql: 'START TRANSACTION',
  postgres: 'BEGIN',
};

/**
 * A store transaction without Knex's transaction machinery: one connection from Knex's pool,
 * BEGIN, the work, COMMIT (ROLLBACK when the work or the COMMIT fails), the connection back.
 * Knex builds a new Knex instance for every transaction (`makeKnex`, about a hundred properties
 * defined one by one, and their garbage) and runs BEGIN and COMMIT through its query pipeline.
 * Measured per transaction holding one INSERT, CPU of the app: SQLite 244 µs through Knex against
 * 64–78 µs here; MariaDB 1,014 µs against 511 µs; PostgreSQL 1,019 µs against 460 µs.
 *
 * `work` gets a Knex that runs every query on this transaction's connection
 * ({@link boundToConnection}); its value is answered after COMMIT. Isolation is the database's
 * default, as with Knex's transactions (REPEATABLE READ on InnoDB, READ COMMITTED on PostgreSQL).
 */
export async function connectionTransaction<T>(
  knex: Knex,
  dialect: Dialect,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const client = knex.client as PoolClient;
  const conn = await client.acquireConnection();
  try {
    const trx = boundToConnection(knex, conn);
    const sql = new Prepared(trx, dialect);
    // Text statements ('varying'): MySQL's prepared-statement protocol does not take all of them.
    const statement = (text: string) => sql.run(text, [], 'varying');
    await statement(BEGIN[dialect]);
    let value: T;
    try {
      value = await work(trx);
      await statement('COMMIT');
    } catch (error) {
      await rollback(conn, dialect, statement);
      throw error;
    }
    return value;
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Rolls back what is left of the transaction. The error that got here is the one the caller
 * needs: a rollback that fails too (the connection died, or SQLite already rolled back after
 * SQLITE_FULL or an I/O error) adds nothing to it, and a dead connection is dropped by Knex's
 * pool when it is next validated.
 */
async function rollback(conn: unknown, dialect: Dialect, statement: (text: string) => Promise<number>): Promise<void> {
  if (dialect === 'sqlite' && !(conn as { inTransaction: boolean }).inTransaction) return;
  try {
    await statement('ROLLBACK');
  } catch {
    // See above: the original error is rethrown.
  }
}

/**
 * Knex, with every query it builds (`db(table)…`, `db.raw(…)`) run on `conn`, and a client whose
 * pool hands out `conn` and takes nothing back (store/prepared.ts runs its statements there). The
 * store uses a transaction's Knex only in those three ways; anything else it offers would take a
 * connection from the pool, which this transaction holds.
 */
export function boundToConnection(knex: Knex, conn: unknown): Knex.Transaction {
  const client = {
    acquireConnection: async () => conn,
    releaseConnection: async () => undefined,
  };
  return new Proxy(knex, {
    apply: (target, _this, args: unknown[]) =>
      (target as unknown as (...a: unknown[]) => Knex.QueryBuilder)(...args).connection(conn),
    get: (target, property) => {
      if (property === 'raw') return (...args: Parameters<Knex['raw']>) => target.raw(...args).connection(conn);
      if (property === 'client') return client;
      if (property === 'isTransaction') return true;
      return Reflect.get(target, property) as unknown;
    },
  }) as unknown as Knex.Transaction;
}
