import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Knex configuration from a URL: `mysql://user:pass@host:port/db` (mysql2) or `sqlite:PATH`
 * (better-sqlite3, the embedded default). Used by the CLI, the demo host and the tests; a host
 * normally passes its own Knex instance instead.
 */
export function knexConfigFromUrl(url: string): Knex.Config {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new Error('DATABASE_URL "sqlite:" needs a path, e.g. sqlite:./data/identity.sqlite or sqlite::memory:');
    return {
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('foreign_keys = ON');
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('case_sensitive_like = ON'); // LIKE as on MariaDB's binary collation: filters match the same rows
          done(null, conn);
        },
      },
    };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
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
      pool: { min: 0, max: 10 },
    };
  }
  throw new Error(`DATABASE_URL "${redactUrl(url)}" is not supported: use mysql://user:password@host:3306/database or sqlite:PATH`);
}

export function connectKnex(url: string): Knex {
  const config = knexConfigFromUrl(url);
  if (config.client === 'better-sqlite3') {
    const filename = (config.connection as { filename: string }).filename;
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  }
  return knexFactory(config);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
