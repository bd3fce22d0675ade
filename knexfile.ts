/**
 * For a host that runs the connector's migrations with its own Knex CLI:
 *   DATABASE_URL=mysql://… npx knex --knexfile node_modules/identity-connector/dist/knexfile.js migrate:latest
 * It applies the same migration list as `identity.migrate()` (see lib/store/migrate.ts), into a
 * migrations table carrying IDENTITY_TABLE_PREFIX, so the host's own migration history is never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { knexConfigFromUrl } from './lib/store/connect.js';
import { adoptFormerMigrationNames, migrationConfig } from './lib/store/migrate.js';
import { DEFAULT_TABLE_PREFIX } from './lib/store/tables.js';
import { readEnvironment } from './lib/runtime/environment.js';

/**
 * Where a relative `sqlite:` path points. The Knex CLI changes directory into the knexfile's
 * folder (node_modules/identity-connector/dist) before loading it; the path then means the
 * directory the command was run from, which npx records in INIT_CWD and a shell in PWD.
 */
function hostDirectory(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (fs.realpathSync(process.cwd()) !== fs.realpathSync(here)) return process.cwd();
  return process.env.INIT_CWD || process.env.PWD || process.cwd();
}

/** Knex CLI calls a knexfile's default function; it renames rows 0.1.0 recorded, as `identity.migrate()` does. */
export default async function knexfile(): Promise<Knex.Config> {
  const environment = readEnvironment();
  // The host's own Knex CLI: no local default database, the store must be named.
  if (!environment.databaseUrlGiven)
    throw new Error(
      'identity-connector knexfile: set DATABASE_URL (mysql://user:password@host:3306/database, postgres://user:password@host:5432/database or sqlite:PATH)',
    );
  const url = environment.databaseUrl;
  const prefix = environment.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const config: Knex.Config = { ...knexConfigFromUrl(url, hostDirectory()), migrations: migrationConfig(prefix) };
  const knex = knexFactory(config);
  try {
    await adoptFormerMigrationNames(knex, prefix);
  } finally {
    await knex.destroy();
  }
  return config;
}
