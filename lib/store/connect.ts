import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Knex configuration from a URL: `mysql://user:pass@host:port/db` (mysql2),
 * `postgres://user:pass@host:port/db` or `postgresql://…` (pg; query parameters such as
 * `sslmode` go to pg as written) or `sqlite:PATH` / `sqlite://PATH` (better-sqlite3, the embedded default), a
 * relative PATH taken from `baseDirectory` (its folder is created). Used by the
 * CLI, the demo host, the shipped knexfile and the tests, and by a host's knexfile (README, "Migrations");
 * a host's code normally passes its own Knex instance instead. The driver is an optional peer dependency: a missing one is named.
 */
export function knexConfigFromUrl(url: string, baseDirectory = process.cwd()): Knex.Config {
  if (url.startsWith('sqlite:')) {
    // sqlite:PATH or sqlite://PATH, as hosts write both: sqlite://./x is ./x, sqlite:///var/x is /var/x.
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new Error('DATABASE_URL "sqlite:" needs a path, e.g. sqlite:./data/app.sqlite or sqlite::memory:');
    requireDriver('better-sqlite3', url);
    const filename = file === ':memory:' ? file : path.resolve(baseDirectory, file);
    // SQLite creates the file, not its folder: `./data/app.sqlite` works before anything made `data/`.
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    return {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('foreign_keys = ON');
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('case_sensitive_like = ON'); // LIKE as on MariaDB's binary collation: filters match the same rows
          // Checkpoint every ~16 MB of WAL instead of 4 MB: checkpoints dominated commit latency.
          conn.pragma('wal_autocheckpoint = 4000');
          conn.pragma('journal_size_limit = 67108864');
          cachePreparedStatements(conn);
          done(null, conn);
        },
      },
    };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
    requireDriver('mysql2', url);
    return {
      client: 'mysql2',
      connection: {
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 3306,
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: parsed.pathname.replace(/^\//, ''),
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
      },
      pool: { min: 0, max: 10, afterCreate: readOwnWritesOnGalera },
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    requireDriver('pg', url);
    return { client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 10 } };
  }
  throw new Error(
    `DATABASE_URL "${redactUrl(url)}" is not supported: use mysql://user:password@host:3306/database, postgres://user:password@host:5432/database or sqlite:PATH`,
  );
}

interface MysqlConnection {
  query(sql: string, done: (err: Error | null, rows?: Array<{ Value?: string }>) => void): void;
}

/**
 * On a Galera node, reads wait until the node has applied every write the cluster committed
 * before them (`wsrep_sync_wait = 1`): without it a user created through one instance can be
 * missing, for a moment, when read through another instance on another node. Asked once per
 * pooled connection; elsewhere (one MariaDB or MySQL server) nothing is set.
 */
function readOwnWritesOnGalera(conn: MysqlConnection, done: (err: Error | null, conn: unknown) => void): void {
  conn.query("SHOW VARIABLES LIKE 'wsrep_on'", (err, rows) => {
    if (err) return done(err, conn);
    if (String(rows?.[0]?.Value ?? '').toUpperCase() !== 'ON') return done(null, conn);
    conn.query('SET SESSION wsrep_sync_wait = 1', (setErr) => done(setErr, conn));
  });
}

/** Knex loads the driver only at the first query, with a message that hides which URL needed it. */
function requireDriver(driver: 'better-sqlite3' | 'mysql2' | 'pg', url: string): void {
  try {
    createRequire(import.meta.url).resolve(driver);
  } catch {
    throw new Error(
      `DATABASE_URL "${redactUrl(url)}" needs the ${driver} driver, which is not installed: npm install ${driver}`,
    );
  }
}

interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Knex prepares every statement again (about a tenth of the CPU of a SCIM request on SQLite);
 * the connector issues a small set of distinct SQL texts, so prepared statements are reused.
 * SQLite re-prepares a cached statement itself when the schema changes.
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * A Knex instance from a URL: `mysql://user:password@host:3306/database` (mysql2) or `sqlite:PATH` (better-sqlite3),
 * with the pool and connection settings the connector needs. A host may pass its own Knex instead.
 *
 * @example
 * ```ts
 * import { connectKnex } from 'identity-connector';
 * const knex = connectKnex(process.env.DATABASE_URL ?? 'sqlite:./data/app.sqlite');
 * await knex.raw('select 1');
 * ```
 */
export function connectKnex(url: string, extra: Partial<Knex.Config> = {}): Knex {
  return knexFactory({ ...knexConfigFromUrl(url), ...extra });
}

/** A database URL fit for a log line: the password between `user:` and `@` replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
