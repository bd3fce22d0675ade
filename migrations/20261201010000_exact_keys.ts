import type { Knex } from 'knex';
import { KEY_LENGTH } from '../lib/model/limits.js';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * Exact keys on MariaDB. `utf8mb4_bin` is a PAD SPACE collation: "x@y " equalled "x@y" in the
 * unique userName key and in every lookup. The key and identifier columns move to
 * `utf8mb4_nopad_bin` and widen to KEY_LENGTH, so Entra's 256-character group displayName (plus
 * a connector's prefix) fits and no key is cut. The `id` primary keys keep their collation
 * (foreign keys pin it); the store compares ids only after checking their UUID shape.
 * SQLite compares exactly and does not enforce widths: nothing to do there.
 *
 * PostgreSQL compares exactly under any deterministic collation; the same columns widen and take
 * the "C" collation, so that they sort byte by byte as on MariaDB and SQLite whatever the
 * database's default locale, and a `sw` filter's `LIKE 'x%'` can use their B-tree indexes (under
 * a linguistic collation it cannot).
 */
export function exactKeysMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  const columns: Array<[table: string, column: string, nullable: boolean]> = [
    [t.users, 'user_name', false],
    [t.users, 'user_name_key', false],
    [t.users, 'display_name_key', true],
    [t.users, 'external_id', true],
    [t.userValues, 'value_key', true],
    [t.userExtensions, 'value_key', true],
    [t.groups, 'display_name', false],
    [t.groups, 'display_name_key', false],
    [t.groups, 'external_id', true],
  ];
  const alter = async (knex: Knex, width: number, collation: string) => {
    const dialect = dialectOf(knex);
    if (dialect === 'postgres') {
      for (const [table, column] of columns)
        await knex.raw(`ALTER TABLE ?? ALTER COLUMN ?? TYPE varchar(${width}) COLLATE "C"`, [table, column]);
      return;
    }
    if (dialect !== 'mysql') return;
    // A collation change copies the table, which InnoDB refuses for a referenced table with rows
    // unless foreign key checks are off for this session; no key value changes.
    await knex.raw('SET SESSION foreign_key_checks = 0');
    try {
      for (const [table, column, nullable] of columns) {
        await knex.raw(
          `ALTER TABLE ?? MODIFY ?? VARCHAR(${width}) CHARACTER SET utf8mb4 COLLATE ${collation} ${nullable ? 'NULL' : 'NOT NULL'}`,
          [table, column],
        );
      }
    } finally {
      await knex.raw('SET SESSION foreign_key_checks = 1');
    }
  };
  return {
    up: (knex) => alter(knex, KEY_LENGTH, 'utf8mb4_nopad_bin'),
    // Kept on rollback: under PAD SPACE, keys stored since could collide ("x@y" and "x@y "), and
    // narrower columns would cut them. The first migration's down drops the tables anyway.
    async down() {},
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = exactKeysMigration(DEFAULT_TABLE_PREFIX);
