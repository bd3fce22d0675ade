import fs from 'node:fs';
import type { Knex } from 'knex';
import { connectKnex, knexConfigFromUrl, redactUrl } from '../store/connect.js';
import { isMigrated } from '../store/migrate.js';
import { readEnvironment } from '../runtime/environment.js';

/** The CLI's opened database: the Knex instance and how to name it in messages (the URL with its password redacted). */
export interface Database {
  knex: Knex;
  description: string;
}

/**
 * The CLI's database, checked before any command runs, so that a mistake reads as one line naming
 * the database: unset DATABASE_URL is said, a missing SQLite file is created only by `migrate`,
 * a connection failure or missing tables say where the CLI looked.
 */
export async function openDatabase(options: {
  create: boolean;
  prefix: string;
  note: (line: string) => void;
}): Promise<Database> {
  const { databaseUrl: url, databaseUrlGiven: given } = readEnvironment();
  const connection = knexConfigFromUrl(url).connection as { filename?: string };
  const file =
    connection.filename !== undefined && connection.filename !== ':memory:' ? connection.filename : undefined;
  const description = file ? `sqlite:${file}` : redactUrl(url);
  if (!given) options.note(`DATABASE_URL is not set: using ${description}`);
  if (file && !fs.existsSync(file)) {
    if (!options.create)
      throw new Error(`no database at ${file}: run \`identity-connector migrate\` to create it, or set DATABASE_URL`);
    options.note(`creating the SQLite database ${file}`);
  }
  // Knex logs a failed connection with its stack; the CLI reports it below in one line.
  const knex = connectKnex(url, {
    log: {
      warn: (message: string) => {
        if (!message.startsWith('Acquire connection error')) options.note(message);
      },
    },
  });
  try {
    await knex.raw('select 1');
    if (!options.create && !(await isMigrated(knex, options.prefix))) {
      throw new Error(
        `the identity tables (prefix ${options.prefix}) are not in ${description}: run \`identity-connector migrate\` first`,
      );
    }
  } catch (error) {
    await knex.destroy();
    const message = (error as Error).message;
    throw new Error(message.includes(description) ? message : `cannot use the database at ${description}: ${message}`);
  }
  return { knex, description };
}
