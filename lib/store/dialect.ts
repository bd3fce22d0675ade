import type { Knex } from 'knex';

/** The three databases the store speaks: MariaDB/MySQL (mysql2), SQLite (better-sqlite3), PostgreSQL (pg). */
export type Dialect = 'mysql' | 'sqlite' | 'postgres';

/** The Knex client names each dialect answers to (Knex accepts all of them in `client`). */
const CLIENTS: Record<string, Dialect> = {
  mysql: 'mysql',
  mysql2: 'mysql',
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  pg: 'postgres',
  postgres: 'postgres',
  postgresql: 'postgres',
};

/** Which dialect a Knex instance speaks, from its `client` (a string or a Knex client class). */
export function dialectOf(knex: Knex): Dialect {
  const configured = knex.client.config.client as unknown;
  const client =
    typeof configured === 'function'
      ? String((knex.client as { dialect?: string }).dialect ?? '')
      : typeof configured === 'string'
        ? configured
        : '';
  const dialect = CLIENTS[client];
  if (!dialect) throw new Error(`knex client "${client}" is not supported: use mysql2, pg or better-sqlite3`);
  return dialect;
}

/**
 * The SQL that differs between the databases, in one place: every store module asks its
 * context's idioms instead of testing the dialect. Fragments are fixed strings (aliases and
 * table names from the store), never request data.
 */
export interface Idioms {
  /**
   * Appended to a read in a write's transaction that must wait for, and then exclude, concurrent
   * writers of the same rows. Empty on SQLite: one writer at a time, its reads are exact.
   */
  readonly forUpdate: string;
  /**
   * `forUpdate` for a read that outer-joins other tables: PostgreSQL refuses to lock the nullable
   * side of an outer join, so only `alias`'s rows are locked there (they serialize the writers).
   */
  forUpdateOf(alias: string): string;
  /**
   * `forUpdate` that passes over rows another transaction holds, for a worker claiming queued rows
   * (the deleted users' purge): concurrent workers take different rows instead of waiting.
   */
  readonly skipLocked: string;
  /**
   * Appended to a count that must see every committed row and wait for rows being inserted,
   * after `forUpdate` took the parent row. MariaDB's REPEATABLE READ reads the transaction's
   * snapshot unless the read locks (LOCK IN SHARE MODE); PostgreSQL's READ COMMITTED takes a
   * new snapshot per statement, after the parent row lock was granted, so a plain read is exact
   * (and it refuses FOR SHARE with an aggregate).
   */
  readonly countAfterLock: string;
  /** Whether writers lock rows explicitly (SQLite serializes whole transactions instead). */
  readonly rowLocks: boolean;
  /** `INSERT … VALUES <values>` that skips rows whose key (`conflictColumns`) already exists. */
  insertIgnoring(table: string, columns: string, values: string, conflictColumns: string): string;
  /** `INSERT … SELECT …` that skips rows whose key already exists (migrations). */
  insertSelectIgnoring(table: string, columns: string, select: string, conflictColumns: string): string;
  /**
   * A scalar of a stored JSON document (`document`, a text column) at one `?` JSON path
   * (`$.a.b`, `$."urn…"."attr"`): a string unquoted. MariaDB and PostgreSQL give booleans as
   * true/false and numbers as digits; SQLite's json_extract gives 1/0 for booleans.
   */
  jsonValue(document: string): string;
  /** `jsonValue` as the text str() wrote into rows on every database: booleans true/false, numbers as digits. */
  jsonText(document: string, boolean: boolean): string;
}

const MYSQL: Idioms = {
  forUpdate: ' FOR UPDATE',
  forUpdateOf: () => ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  countAfterLock: ' LOCK IN SHARE MODE',
  rowLocks: true,
  insertIgnoring: (table, columns, values) => `INSERT IGNORE INTO ${table} (${columns}) VALUES ${values}`,
  insertSelectIgnoring: (table, columns, select) => `INSERT IGNORE INTO ${table} (${columns}) ${select}`,
  jsonValue: (document) => `JSON_UNQUOTE(JSON_EXTRACT(${document}, ?))`,
  jsonText: (document) => `JSON_UNQUOTE(JSON_EXTRACT(${document}, ?))`,
};

const SQLITE: Idioms = {
  forUpdate: '',
  forUpdateOf: () => '',
  skipLocked: '',
  countAfterLock: '',
  rowLocks: false,
  insertIgnoring: (table, columns, values, key) =>
    `INSERT INTO ${table} (${columns}) VALUES ${values} ON CONFLICT (${key}) DO NOTHING`,
  insertSelectIgnoring: (table, columns, select) => `INSERT OR IGNORE INTO ${table} (${columns}) ${select}`,
  jsonValue: (document) => `json_extract(${document}, ?)`,
  jsonText: (document, boolean) =>
    boolean
      ? `(CASE json_type(${document}, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END)`
      : `CAST(json_extract(${document}, ?) AS TEXT)`,
};

// The stored document stays text on PostgreSQL (see README, "Running on PostgreSQL"): it is read
// whole and parsed by the store on every read, and filters on attributes without a column of
// their own are the rare path that pays the cast.
const pgJson = (document: string) =>
  `(jsonb_path_query_first(CAST(${document} AS jsonb), CAST(? AS jsonpath)) #>> '{}')`;

const POSTGRES: Idioms = {
  forUpdate: ' FOR UPDATE',
  forUpdateOf: (alias) => ` FOR UPDATE OF ${alias}`,
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  countAfterLock: '',
  rowLocks: true,
  insertIgnoring: (table, columns, values, key) =>
    `INSERT INTO ${table} (${columns}) VALUES ${values} ON CONFLICT (${key}) DO NOTHING`,
  insertSelectIgnoring: (table, columns, select, key) =>
    `INSERT INTO ${table} (${columns}) ${select} ON CONFLICT (${key}) DO NOTHING`,
  jsonValue: pgJson,
  jsonText: pgJson,
};

const IDIOMS: Record<Dialect, Idioms> = { mysql: MYSQL, sqlite: SQLITE, postgres: POSTGRES };

/** The SQL idioms of a dialect. */
export const idiomsOf = (dialect: Dialect): Idioms => IDIOMS[dialect];

/** A unique-index violation, recognised by code on every database without parsing messages. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505'
  );
}

/** A value wider than its column: MariaDB in strict mode and PostgreSQL refuse it (SQLite does not enforce widths). */
export function isDataTooLong(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'ER_DATA_TOO_LONG' || code === '22001';
}

/**
 * Error codes meaning the database is away, overloaded or frozen, or that it rolled this
 * transaction back and a retry is safe (a deadlock victim; PostgreSQL's serialization failure).
 */
export const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  // Node's sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  // mysql2 / MariaDB
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_STATEMENT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  // better-sqlite3
  'SQLITE_BUSY',
  // PostgreSQL SQLSTATEs: serialization failure, deadlock, lock wait (lock_timeout), statement
  // timeout, server shutting down or starting, too many connections, and class 08 (connection).
  '40001',
  '40P01',
  '55P03',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/**
 * node-postgres raises a lost connection without a code: these are its messages (pg/lib/client.js),
 * matched exactly. The `fatal` flag mysql2 sets has no equivalent there.
 */
const PG_CONNECTION_LOST = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

/** Whether an error without a code is node-postgres telling that its connection is gone. */
export function isPgConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error) || (error as { code?: string }).code) return false;
  // Knex prefixes a failed query's message with its SQL and ' - '.
  const { message } = error;
  for (const lost of PG_CONNECTION_LOST) if (message === lost || message.endsWith(` - ${lost}`)) return true;
  return false;
}
