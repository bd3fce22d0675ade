import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { dropColumns } from '../lib/store/drop-columns.js';

/**
 * &Money BookMe serves two kinds of resource (advisors, rooms) through two connectors: each user
 * records the kind of the connector that created it (settings.resourceKind), null elsewhere.
 */
export function userResourceKindMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      // MariaDB commits DDL one statement at a time: a run killed after this step runs it again.
      if (await knex.schema.hasColumn(t.users, 'resource_kind')) return;
      await knex.schema.alterTable(t.users, (table) => {
        table.string('resource_kind', 64).nullable();
      });
    },
    async down(knex) {
      await dropColumns(knex, t.users, ['resource_kind']);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = userResourceKindMigration(DEFAULT_TABLE_PREFIX);
