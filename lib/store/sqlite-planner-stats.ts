import type { Knex } from 'knex';
import type { TableNames } from './tables.js';

/**
 * Fixed planner statistics for SQLite. Without them SQLite assumes `connector_id = ?` is
 * selective, so for `externalId eq` or an `emails[…]` lookup it walks the connector's whole
 * (connector_id, created_at) index to avoid a sort, instead of seeking the lookup index.
 * These rows describe the shape every deployment has (many users per connector, few rows per
 * lookup key); SQLite documents writing sqlite_stat1 for exactly this. A later ANALYZE by the
 * host replaces them with measured ones.
 */
function plannerStats(t: TableNames, valueIndexes: ValueIndexes): Array<[table: string, index: string, stat: string]> {
  // A value key names about one row across connectors (an email is one person's); each attribute has many rows.
  // The users' two sign-in key indexes (20261201005000) had no rows: unpinned, SQLite guessed 10 users a connector
  // there and walked the connector's users for `emails eq` instead of seeking the few ids the values named.
  const values: Array<[string, string, string]> =
    valueIndexes === 'merged'
      ? [
          [t.userValues, `${t.userValues}_key_ix`, '300000 50000 1 1'],
          [t.users, `${t.users}_entra_object_ix`, '100000 10000 1'],
          [t.users, `${t.users}_email_uq`, '100000 10000 1'],
        ]
      : [[t.userValues, `${t.userValues}_lookup_ix`, '300000 30000 10000 1']];
  return [
    [t.users, `sqlite_autoindex_${t.users}_1`, '100000 1'],
    [t.users, `${t.users}_user_name_uq`, '100000 10000 1'],
    [t.users, `${t.users}_external_id_ix`, '100000 10000 1'],
    [t.users, `${t.users}_display_name_ix`, '100000 10000 2'],
    [t.users, `${t.users}_created_ix`, '100000 10000 1 1'],
    [t.users, `${t.users}_updated_ix`, '100000 10000 1'],
    ...values,
    [t.userValues, `${t.userValues}_user_ix`, '300000 3 2'],
    [t.userAddresses, `${t.userAddresses}_user_ix`, '100000 1'],
    [t.userAddresses, `${t.userAddresses}_locality_ix`, '100000 10000 100'],
    [t.userExtensions, `${t.userExtensions}_lookup_ix`, '300000 30000 15000 5000 10'],
    [t.userExtensions, `${t.userExtensions}_user_ix`, '300000 3'],
    [t.groups, `sqlite_autoindex_${t.groups}_1`, '1000 1'],
    [t.groups, `${t.groups}_display_name_uq`, '1000 100 1'],
    [t.groups, `${t.groups}_external_id_ix`, '1000 100 1'],
    [t.groups, `${t.groups}_created_ix`, '1000 100 1 1'],
    [t.groupMembers, `sqlite_autoindex_${t.groupMembers}_1`, '200000 200 1'],
    [t.groupMembers, `${t.groupMembers}_user_ix`, '200000 2 1'],
  ];
}

/**
 * Which indexes user_values has: the first migration's `lookup_ix` on (connector, attribute, key), joined by
 * `identifier_ix` (attribute, key; never pinned) in 20261201005000, or, since 20261207130000_user_purges, the
 * one `key_ix` on (attribute, key, connector) that replaced both.
 */
export type ValueIndexes = 'split' | 'merged';

/**
 * Writes the fixed planner statistics for the connector's tables into `sqlite_stat1` and reloads them (run by the
 * migrations that create or rebuild those tables, on SQLite).
 */
export async function pinSqlitePlannerStats(knex: Knex, t: TableNames, valueIndexes: ValueIndexes): Promise<void> {
  const stats = plannerStats(t, valueIndexes);
  await knex.raw('ANALYZE sqlite_schema'); // creates sqlite_stat1 if it does not exist yet
  const tables = [...new Set(stats.map(([table]) => table))];
  await knex.raw(`DELETE FROM sqlite_stat1 WHERE tbl IN (${tables.map(() => '?').join(', ')})`, tables);
  for (const [table, index, stat] of stats) {
    await knex.raw('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)', [table, index, stat]);
  }
  await knex.raw('ANALYZE sqlite_schema'); // reloads the statistics into the planner
}

/** Removes those statistics again (the migration's `down`); nothing when `sqlite_stat1` does not exist. */
export async function unpinSqlitePlannerStats(knex: Knex, t: TableNames): Promise<void> {
  const tables = [...new Set(plannerStats(t, 'merged').map(([table]) => table))];
  const exists = await knex.raw("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'");
  if ((exists as unknown[]).length)
    await knex.raw(`DELETE FROM sqlite_stat1 WHERE tbl IN (${tables.map(() => '?').join(', ')})`, tables);
}
