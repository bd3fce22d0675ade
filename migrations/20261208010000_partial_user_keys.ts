import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { pinSqlitePlannerStats } from '../lib/store/sqlite-planner-stats.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * The users' two keys that are NULL until something sets them, `email_key` (only on connectors whose
 * `uniqueEmail` is on) and `entra_object_id` (learnt from a GUID externalId or the first verified sign-in;
 * Entra's default mapping sends none), indexed only where set: partial indexes on SQLite and PostgreSQL.
 * A full index holds an entry for every NULL too, so each create and each DELETE of a user without them
 * wrote a page of each index for nothing (bench --write-cost, 5,000 users: one WAL page each). The
 * lookups (`entra_object_id = ?`, `email_key = ?`) imply IS NOT NULL, so both engines still use them, and
 * the unique key still refuses two equal emails (NULLs never collided). MariaDB has no partial indexes:
 * its indexes stay as they are.
 */
export function partialUserKeysMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  const keys = [
    { index: `${t.users}_email_uq`, unique: true, column: 'email_key' },
    { index: `${t.users}_entra_object_ix`, unique: false, column: 'entra_object_id' },
  ];
  const rebuild = async (knex: Knex, partial: boolean) => {
    const dialect = dialectOf(knex);
    if (dialect === 'mysql') return;
    for (const key of keys) {
      // PostgreSQL: Knex made the unique key a constraint, and a constraint cannot be partial.
      if (dialect === 'postgres' && key.unique)
        await knex.raw('ALTER TABLE ?? DROP CONSTRAINT IF EXISTS ??', [t.users, key.index]);
      await knex.raw('DROP INDEX IF EXISTS ??', [key.index]);
      if (dialect === 'postgres' && key.unique && !partial) {
        await knex.raw('ALTER TABLE ?? ADD CONSTRAINT ?? UNIQUE (??, ??)', [
          t.users,
          key.index,
          'connector_id',
          key.column,
        ]);
        continue;
      }
      await knex.raw(
        `CREATE ${key.unique ? 'UNIQUE ' : ''}INDEX ?? ON ?? (??, ??)${partial ? ' WHERE ?? IS NOT NULL' : ''}`,
        [key.index, t.users, 'connector_id', key.column, ...(partial ? [key.column] : [])],
      );
    }
  };
  const step = (partial: boolean) => async (knex: Knex) => {
    await rebuild(knex, partial);
    // SQLite drops a dropped index's sqlite_stat1 row: the pinned statistics go back in.
    if (dialectOf(knex) === 'sqlite') await pinSqlitePlannerStats(knex, t, 'merged');
  };
  return { up: step(true), down: step(false) };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = partialUserKeysMigration(DEFAULT_TABLE_PREFIX);
