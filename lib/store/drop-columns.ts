import type { Knex } from 'knex';
import { dialectOf } from './context.js';

/**
 * Drops columns a migration added, for its `down`, without touching any other row.
 *
 * Knex drops a column on SQLite by rebuilding the table (create a copy, drop the original, rename).
 * With foreign keys on, dropping the original deletes every row that references it through
 * ON DELETE CASCADE: rolling back a column of `connectors` emptied users, values and tokens of
 * every connector. SQLite (3.35+) drops a column in place with `ALTER TABLE … DROP COLUMN`, which
 * deletes nothing elsewhere; the column must not be indexed, so a `down` drops its indexes first.
 * `PRAGMA foreign_key_check` afterwards proves that no reference was left dangling.
 */
export async function dropColumns(knex: Knex, table: string, columns: string[]): Promise<void> {
  if (dialectOf(knex) !== 'sqlite') {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumns(...columns);
    });
    return;
  }
  const present = Object.keys(await knex(table).columnInfo());
  for (const column of columns.filter((c) => present.includes(c))) {
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
  }
  const dangling = (await knex.raw('PRAGMA foreign_key_check')) as unknown[];
  if (dangling.length > 0)
    throw new Error(
      `dropping ${columns.join(', ')} from ${table} left ${dangling.length} rows referencing missing rows`,
    );
}
