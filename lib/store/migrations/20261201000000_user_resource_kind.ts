import type { Knex } from 'knex';
import { tableNames } from '../tables.js';

/**
 * &Money BookMe serves two kinds of resource (advisors, rooms) through two connectors: each user
 * records the kind of the connector that created it (settings.resourceKind), null elsewhere.
 */
export function userResourceKindMigration(prefix: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      await knex.schema.alterTable(t.users, (table) => { table.string('resource_kind', 64).nullable(); });
    },
    async down(knex) {
      await knex.schema.alterTable(t.users, (table) => { table.dropColumn('resource_kind'); });
    },
  };
}

