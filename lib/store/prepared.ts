import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

type Row = Record<string, unknown>;
/** A value bound to a prepared statement's placeholder. */
export type Param = string | number | boolean | null;

interface SqliteStatement {
  reader: boolean;
  all(params: unknown[]): Row[];
  run(params: unknown[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
type MysqlCallback = (error: Error | null, result: unknown) => void;
interface MysqlConnection {
  execute(sql: string, params: unknown[], callback: MysqlCallback): void;
  query(sql: string, params: unknown[], callback: MysqlCallback): void;
}
interface PgResult {
  rows: Row[];
  rowCount: number | null;
}
interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<PgResult>;
}

/**
 * `varying`: the text depends on a list's length (IN lists, multi-row VALUES). On MySQL such a
 * statement is sent as text with the values escaped by mysql2, not prepared: every length would
 * otherwise hold a prepared statement on the server, and MariaDB caps them for the whole server
 * (max_prepared_stmt_count). On PostgreSQL it goes as an unnamed statement (parsed each time,
 * nothing kept on the server).
 */
export type Shape = 'fixed' | 'varying';

/**
 * The hot paths' SQL (lookup before create, create, PATCH, DELETE, membership changes) as
 * prepared statements on the connection itself, without the query builder: building and
 * compiling a query cost Knex about a third of a SCIM create. On SQLite the connection's
 * statement cache (connect.ts) keeps each text prepared; on MySQL, mysql2's `execute` keeps a
 * prepared statement per text and connection; on PostgreSQL, a named statement (pg parses it
 * once per connection, then sends only Bind/Execute). Inside a transaction the statements run on the
 * transaction's connection; outside, on one borrowed from Knex's pool for the call.
 *
 * SQL texts here are fixed strings (table names from the store's prefix, placeholders for
 * every value), never built from request data.
 */
export class Prepared {
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly dialect: Dialect,
  ) {}

  /** Rows of a SELECT. */
  all(sql: string, params: Param[], shape: Shape = 'fixed'): Promise<Row[]> {
    return this.on(async (conn) => {
      if (this.dialect === 'sqlite') return (conn as SqliteConnection).prepare(sql).all(params.map(bindable));
      if (this.dialect === 'postgres') return (await postgres(conn as PgConnection, sql, params, shape)).rows;
      return mysql(conn as MysqlConnection, sql, params, shape) as Promise<Row[]>;
    });
  }

  /** Rows changed by an INSERT, UPDATE or DELETE. */
  async run(sql: string, params: Param[], shape: Shape = 'fixed'): Promise<number> {
    return this.on(async (conn) => {
      if (this.dialect === 'sqlite') return (conn as SqliteConnection).prepare(sql).run(params.map(bindable)).changes;
      if (this.dialect === 'postgres') return (await postgres(conn as PgConnection, sql, params, shape)).rowCount ?? 0;
      const result = (await mysql(conn as MysqlConnection, sql, params, shape)) as { affectedRows: number };
      return result.affectedRows;
    });
  }

  /** MySQL only: rows changed and the OK packet's insert id (which `LAST_INSERT_ID(expr)` in the statement sets). */
  async runForId(sql: string, params: Param[]): Promise<{ changes: number; insertId: number }> {
    return this.on(async (conn) => {
      const result = (await mysql(conn as MysqlConnection, sql, params, 'fixed')) as {
        affectedRows: number;
        insertId: number;
      };
      return { changes: result.affectedRows, insertId: Number(result.insertId) };
    });
  }

  private async on<T>(fn: (conn: unknown) => T | Promise<T>): Promise<T> {
    // A transaction's client hands out the transaction's connection and releases nothing.
    const client = this.db.client as {
      acquireConnection(): Promise<unknown>;
      releaseConnection(conn: unknown): Promise<unknown>;
    };
    const conn = await client.acquireConnection();
    try {
      return await fn(conn);
    } finally {
      await client.releaseConnection(conn);
    }
  }
}

/**
 * Neither SQLite's nor MySQL's driver binds booleans (stored as 0/1, as Knex stores them) or
 * undefined (NULL). PostgreSQL's boolean columns read '1' and '0' as true and false.
 */
const bindable = (v: Param | undefined) => (typeof v === 'boolean' ? Number(v) : (v ?? null));

/** Statement names handed out, per SQL text: a name stays bound to one text on every connection. */
const pgStatements = new Map<string, { name: string; text: string }>();
/** Texts beyond this many go unnamed: a connection keeps each named statement until it closes. */
const PG_NAMED_STATEMENTS = 1_000;

function postgres(conn: PgConnection, sql: string, params: Param[], shape: Shape): Promise<PgResult> {
  let statement = pgStatements.get(sql);
  if (!statement) {
    statement = { name: `idc_${pgStatements.size.toString(36)}`, text: numberedPlaceholders(sql) };
    if (shape === 'fixed' && pgStatements.size < PG_NAMED_STATEMENTS) pgStatements.set(sql, statement);
    else return conn.query({ text: statement.text, values: params.map(bindable) });
  }
  return conn.query({ name: statement.name, text: statement.text, values: params.map(bindable) });
}

/** `?` → `$1`, `$2`, … outside quoted literals (the store's texts put every value in a placeholder). */
function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|\?/g, (match) => (match === '?' ? `$${++n}` : match));
}

function mysql(conn: MysqlConnection, sql: string, params: Param[], shape: Shape): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done: MysqlCallback = (error, result) => (error ? reject(error) : resolve(result));
    if (shape === 'fixed') conn.execute(sql, params.map(bindable), done);
    else conn.query(sql, params.map(bindable), done);
  });
}

/** `(?, ?, …), (?, ?, …)` for a multi-row INSERT of `rows` rows of `width` values. */
export function valueGroups(rows: number, width: number): string {
  const group = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => group).join(', ');
}
