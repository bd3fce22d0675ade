import type { Knex } from 'knex';
import { dialectOf, type Dialect } from '../lib/store/dialect.js';
import { pinSqlitePlannerStats } from '../lib/store/sqlite-planner-stats.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * A DELETE of a user that costs about one row's write (issue 22).
 *
 * - user_values' two value indexes, (connector_id, attribute, value_key) and (attribute, value_key), become one,
 *   (attribute, value_key, connector_id): every filter and sign-in lookup seeks it the same way, and each value row
 *   written or deleted touches one index less (4 of SQLite's ~29 WAL pages a delete, and as many a create).
 * - user_values, user_addresses and user_extensions lose their foreign key to users: deleting a user no longer
 *   cascades into them on the request path. The delete queues the user's id in `user_purges` in its transaction
 *   instead, and a background purge (users.ts `purgeDeleted`) removes the rows later, in batches. Every reader
 *   reaches those rows through a live user's id, so the orphans in between are never seen. SQLite cannot drop a
 *   constraint: the three tables are rebuilt (nothing references them, so dropping the old ones deletes nothing
 *   elsewhere), their ids and AUTOINCREMENT kept. (Dropping AUTOINCREMENT would save no WAL page: the audit row
 *   of every create and delete updates sqlite_sequence's one page anyway.)
 *
 * `down` removes the orphans (what the purge would have), then restores the foreign keys and the two indexes.
 */
export function userPurgesMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  const children = [t.userValues, t.userAddresses, t.userExtensions];
  const foreignKey = (table: string) => `${table}_user_id_foreign`;
  const merged = `${t.userValues}_key_ix`;
  const lookup = `${t.userValues}_lookup_ix`;
  const identifier = `${t.userValues}_identifier_ix`;
  return {
    // MariaDB commits DDL one statement at a time: a run killed between them runs again, so each step is guarded.
    async up(knex) {
      const dialect = dialectOf(knex);
      if (!(await knex.schema.hasTable(t.userPurges))) {
        if (dialect === 'sqlite') {
          await knex.raw(
            'CREATE TABLE ?? (user_id varchar(36) NOT NULL PRIMARY KEY, connector_id varchar(36) NOT NULL, at bigint NOT NULL) WITHOUT ROWID',
            [t.userPurges],
          );
        } else {
          await knex.schema.createTable(t.userPurges, (table) => {
            if (dialect === 'mysql') {
              table.charset('utf8mb4');
              table.collate('utf8mb4_bin');
              table.engine('InnoDB');
            }
            table.string('user_id', 36).primary();
            table.string('connector_id', 36).notNullable();
            table.bigInteger('at').notNullable();
          });
        }
      }
      await createIndex(knex, t.userValues, merged, ['attribute', 'value_key', 'connector_id']);
      await dropIndex(knex, dialect, t.userValues, lookup);
      await dropIndex(knex, dialect, t.userValues, identifier);
      if (dialect === 'sqlite') {
        for (const table of children) await rebuildSqlite(knex, table, (sql) => withoutForeignKey(sql, t.users));
        await pinSqlitePlannerStats(knex, t, 'merged');
      } else {
        for (const table of children) await dropForeignKey(knex, dialect, table, foreignKey(table));
      }
    },
    async down(knex) {
      const dialect = dialectOf(knex);
      // Rows of deleted users not purged yet: the restored foreign keys would refuse them.
      for (const table of children) await knex(table).whereNotIn('user_id', knex(t.users).select('id')).delete();
      if (dialect === 'sqlite') {
        for (const table of children) await rebuildSqlite(knex, table, (sql) => withForeignKey(sql, t.users));
      } else {
        for (const table of children)
          await knex.schema.alterTable(table, (builder) => {
            builder.foreign('user_id', foreignKey(table)).references('id').inTable(t.users).onDelete('CASCADE');
          });
      }
      await createIndex(knex, t.userValues, lookup, ['connector_id', 'attribute', 'value_key']);
      await createIndex(knex, t.userValues, identifier, ['attribute', 'value_key']);
      await dropIndex(knex, dialect, t.userValues, merged);
      if (dialect === 'sqlite') await pinSqlitePlannerStats(knex, t, 'split');
      await knex.schema.dropTableIfExists(t.userPurges);
    },
  };
}

async function createIndex(knex: Knex, table: string, index: string, columns: string[]) {
  const list = columns.map(() => '??').join(', ');
  await knex.raw(`CREATE INDEX IF NOT EXISTS ?? ON ?? (${list})`, [index, table, ...columns]);
}

async function dropIndex(knex: Knex, dialect: Dialect, table: string, index: string) {
  if (dialect === 'mysql') await knex.raw('DROP INDEX IF EXISTS ?? ON ??', [index, table]);
  else await knex.raw('DROP INDEX IF EXISTS ??', [index]);
}

async function dropForeignKey(knex: Knex, dialect: Dialect, table: string, name: string) {
  const drop = dialect === 'mysql' ? 'DROP FOREIGN KEY' : 'DROP CONSTRAINT';
  await knex.raw(`ALTER TABLE ?? ${drop} IF EXISTS ??`, [table, name]);
}

/** Knex's clause for `user_id … references users(id) on delete CASCADE`, as the first migration created it. */
const FOREIGN_KEY = (users: string) => `, foreign key(\`user_id\`) references \`${users}\`(\`id\`) on delete CASCADE`;

function withoutForeignKey(sql: string, users: string): string {
  return edit(sql, FOREIGN_KEY(users), '');
}

function withForeignKey(sql: string, users: string): string {
  return sql.replace(/\)\s*$/, `${FOREIGN_KEY(users)})`);
}

/** Replaces `from` once; a table that does not read as Knex created it stops the migration rather than being guessed at. */
function edit(sql: string, from: string, to: string): string {
  if (!sql.includes(from)) throw new Error(`unexpected table definition (no "${from}"): ${sql}`);
  return sql.replace(from, to);
}

/**
 * SQLite's way to change a table's constraints (https://www.sqlite.org/lang_altertable.html#otheralter): a new
 * table from the edited definition, the rows copied with their ids, the old one dropped (it is referenced by no
 * table, so its drop deletes nothing elsewhere; dropping it also drops its indexes and planner statistics), the new
 * one renamed and the indexes created again. The migration's one transaction makes it all or nothing.
 */
async function rebuildSqlite(knex: Knex, table: string, change: (sql: string) => string): Promise<void> {
  const rows: Array<{ type: string; sql: string }> = await knex('sqlite_master')
    .select('type', 'sql')
    .where({ tbl_name: table })
    .whereNotNull('sql');
  const create = rows.find((r) => r.type === 'table')!.sql;
  const rebuilt = `${table}_rebuilt`;
  // The name is quoted with backticks as Knex created it, or with double quotes once SQLite renamed the table.
  const columns = create.replace(/^CREATE TABLE\s+[`"]?\w+[`"]?\s*\(/i, '');
  if (columns === create) throw new Error(`unexpected table definition: ${create}`);
  await knex.raw(`CREATE TABLE \`${rebuilt}\` (${change(columns)}`);
  await knex.raw('INSERT INTO ?? SELECT * FROM ??', [rebuilt, table]);
  await knex.raw('DROP TABLE ??', [table]);
  await knex.raw('ALTER TABLE ?? RENAME TO ??', [rebuilt, table]);
  for (const index of rows.filter((r) => r.type === 'index')) await knex.raw(index.sql);
  const dangling = (await knex.raw('PRAGMA foreign_key_check(??)', [table])) as unknown[];
  if (dangling.length) throw new Error(`rebuilding ${table} left ${dangling.length} rows referencing missing users`);
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = userPurgesMigration(DEFAULT_TABLE_PREFIX);
