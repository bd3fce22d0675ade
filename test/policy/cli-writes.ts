import { runCli } from '../../lib/cli/commands.js';
import { IdentityEvents } from '../../lib/model/events.js';
import { connectKnex } from '../../lib/store/connect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { tempSqliteUrl, uniquePrefix, type TestDatabase } from '../support/databases.js';

/** The CLI against its own tables in a test database, and a store to read what it wrote. */
export interface CliDatabase {
  store: IdentityStore;
  run(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

/** Runs the real CLI (DATABASE_URL, IDENTITY_TABLE_PREFIX) on `db`: a file for SQLite, the server for MariaDB. */
export async function cliDatabase(db: TestDatabase): Promise<CliDatabase> {
  const url = db.name === 'sqlite' ? tempSqliteUrl('policy-cli') : db.url;
  const prefix = uniquePrefix();
  const saved = { ...process.env };
  const run = async (...argv: string[]) => {
    process.env.DATABASE_URL = url;
    process.env.IDENTITY_TABLE_PREFIX = prefix;
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      process.env = { ...saved };
    }
  };
  await run('migrate');
  const knex = connectKnex(url);
  return { store: new IdentityStore(knex, prefix, new IdentityEvents()), run, close: () => knex.destroy() };
}
