import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

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

// For the host's own Knex CLI (knexfile.ts): the prefix comes from IDENTITY_TABLE_PREFIX.
const fromEnvironment = userResourceKindMigration(process.env.IDENTITY_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX);
export const up = fromEnvironment.up;
export const down = fromEnvironment.down;
