/**
 * For a host that runs the connector's migrations with the Knex CLI and this shipped knexfile:
 *   npx knex --knexfile node_modules/identity-connector/dist/knexfile.js migrate:latest
 * It reads the environment as the CLI does (lib/runtime/environment.ts: DATABASE_URL, default the same
 * `sqlite:./data/app.sqlite` as the CLI and the README host, and IDENTITY_TABLE_PREFIX), and applies the same
 * migration list as `identity.migrate()` (lib/store/migrate.ts) into a migrations table carrying the prefix,
 * so the host's own migration history is never touched. A host's own knexfile takes the same list through
 * `identityMigrationConfig()` or `identityMigrationsDirectory` instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { knexConfigFromUrl } from './lib/store/connect.js';
import { adoptFormerMigrationNames, migrationConfig, refuseIfMigratedThroughHostTable } from './lib/store/migrate.js';
import { DEFAULT_TABLE_PREFIX } from './lib/store/tables.js';
import { readEnvironment } from './lib/runtime/environment.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Where a relative `sqlite:` path points. The Knex CLI changes directory into the knexfile's
 * folder (node_modules/identity-connector/dist) before loading it; the path then means the
 * directory the command was run from, which npx records in INIT_CWD and a shell in PWD.
 */
function hostDirectory(): string {
  if (fs.realpathSync(process.cwd()) !== fs.realpathSync(here)) return process.cwd();
  return process.env.INIT_CWD || process.env.PWD || process.cwd();
}

/**
 * `knex migrate:make` (and `seed:make`) would write the new file into this package's folder
 * (node_modules/identity-connector/dist), which the next `npm install` replaces.
 */
export const MAKE_REFUSAL =
  'identity-connector knexfile: `knex migrate:make` would write into node_modules/identity-connector/dist, ' +
  'which npm replaces on every install. Make your migrations with your own knexfile; it can run the ' +
  "connector's migrations too (identityMigrationsDirectory or identityMigrationConfig(), see the README's " +
  '"Migrations").';

/** Knex CLI calls a knexfile's default function; it renames rows 0.1.0 recorded, as `identity.migrate()` does. */
export default async function knexfile(argv: readonly string[] = process.argv): Promise<Knex.Config> {
  if (argv.some((arg) => /^(migrate|seed):make$/.test(arg))) throw new Error(MAKE_REFUSAL);
  const environment = readEnvironment();
  const prefix = environment.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const config: Knex.Config = {
    ...knexConfigFromUrl(environment.databaseUrl, hostDirectory()),
    migrations: migrationConfig(prefix),
  };
  const knex = knexFactory(config);
  try {
    await refuseIfMigratedThroughHostTable(knex, prefix);
    await adoptFormerMigrationNames(knex, prefix);
  } finally {
    await knex.destroy();
  }
  return config;
}
