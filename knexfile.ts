/**
 * For a host that runs the shipped migrations with its own Knex CLI:
 *   IDENTITY_TABLE_PREFIX=idc_ DATABASE_URL=mysql://… npx knex --knexfile node_modules/identity-connector/dist/knexfile.js migrate:latest
 * The migration table is prefixed too, so the host's own migration history is never touched.
 */
import type { Knex } from 'knex';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { knexConfigFromUrl } from './lib/store/connect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from './lib/store/tables.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const prefix = process.env.IDENTITY_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX;

const config: Knex.Config = {
  ...knexConfigFromUrl(process.env.DATABASE_URL ?? 'sqlite:./data/identity.sqlite'),
  migrations: {
    directory: path.join(here, 'migrations'),
    tableName: tableNames(prefix).migrations,
    loadExtensions: [path.extname(fileURLToPath(import.meta.url))],
  },
};

export default config;
