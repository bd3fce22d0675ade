import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { dropColumns } from '../lib/store/drop-columns.js';

/**
 * Sign-in lookups across connectors by email (requireLoginMethod, checkLoginMethod): the
 * existing value index leads with connector_id, so an index on (attribute, value_key).
 *
 * When a connector's OpenID Connect round trip last completed (an ID token from Entra verified).
 * Switching users to SSO is refused until it has, so an admin cannot lock people out behind a
 * connection that was never shown to work; changing the OIDC settings clears it.
 */
export function signInLookupsMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      // MariaDB commits DDL one statement at a time: a run killed between them runs again, so each is guarded.
      if (!(await knex.schema.hasColumn(t.connectors, 'sso_verified_at'))) {
        await knex.schema.alterTable(t.connectors, (table) => {
          table.bigInteger('sso_verified_at').nullable();
        });
      }
      if (!(await hasIndex(knex, t.userValues, `${t.userValues}_identifier_ix`))) {
        await knex.schema.alterTable(t.userValues, (table) => {
          table.index(['attribute', 'value_key'], `${t.userValues}_identifier_ix`);
        });
      }
    },
    async down(knex) {
      await knex.schema.alterTable(t.userValues, (table) => {
        table.dropIndex(['attribute', 'value_key'], `${t.userValues}_identifier_ix`);
      });
      await dropColumns(knex, t.connectors, ['sso_verified_at']);
    },
  };
}

async function hasIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  const dialect = dialectOf(knex);
  if (dialect === 'mysql') {
    const [rows] = await knex.raw('SHOW INDEX FROM ?? WHERE Key_name = ?', [table, index]);
    return rows.length > 0;
  }
  if (dialect === 'postgres') {
    const { rows } = await knex.raw(
      'SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? AND indexname = ?',
      [table, index],
    );
    return rows.length > 0;
  }
  return (await knex('sqlite_master').where({ type: 'index', name: index }).first()) !== undefined;
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = signInLookupsMigration(DEFAULT_TABLE_PREFIX);
