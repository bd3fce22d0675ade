import type { Knex } from 'knex';

/** better-sqlite3's connection, as far as a transaction needs it. */
interface SqliteConnection {
  prepare(sql: string): { run(): unknown };
  readonly inTransaction: boolean;
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown>;
}

/**
 * A transaction on SQLite without Knex's transaction machinery: one connection from Knex's pool,
 * `BEGIN IMMEDIATE`, the work, `COMMIT` (or `ROLLBACK` when the work rejects), the connection
 * back. Knex builds a new Knex instance for every transaction (`makeKnex`, about a hundred
 * properties defined one by one) and runs BEGIN and COMMIT through its query pipeline: measured
 * at 268 µs of CPU for a transaction holding one INSERT, against 35 µs for the same statements
 * on the connection, and more than a tenth of the CPU of a SCIM write on SQLite.
 *
 * IMMEDIATE takes the write lock at BEGIN: every store transaction writes, and one that read
 * first could not take the lock once another process had committed (SQLITE_BUSY at once,
 * whatever busy_timeout says).
 *
 * `work` gets a Knex that runs every query on this transaction's connection (see
 * {@link boundToConnection}); its value is answered after COMMIT.
 */
export async function sqliteTransaction<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const client = knex.client as PoolClient;
  const conn = (await client.acquireConnection()) as SqliteConnection;
  try {
    conn.prepare('BEGIN IMMEDIATE').run();
    let value: T;
    try {
      value = await work(boundToConnection(knex, conn));
    } catch (error) {
      // An error SQLite answers by rolling back itself (SQLITE_FULL, SQLITE_IOERR, …) leaves nothing to roll back.
      if (conn.inTransaction) conn.prepare('ROLLBACK').run();
      throw error;
    }
    try {
      conn.prepare('COMMIT').run();
    } catch (error) {
      if (conn.inTransaction) conn.prepare('ROLLBACK').run();
      throw error;
    }
    return value;
  } finally {
    await client.releaseConnection(conn);
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
