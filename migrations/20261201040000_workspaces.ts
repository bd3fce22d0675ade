import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * Systam's workspaces. `workspaces`: what the host registers per organization (its own id and a
 * name). `user_workspaces`: which of them each user is in, one flagged primary, written by the
 * workspace decision (policy/workspaces.ts) in the transaction of the write that changed it.
 * Rows go with their user (ON DELETE CASCADE); a workspace's removal deletes its rows itself, as
 * a workspace is keyed by organization and the rows by connector. The binary collation of the
 * other tables (so ids compare with theirs); ids with surrounding spaces are refused on input,
 * as MariaDB's PAD SPACE would make "hki " equal "hki".
 */
export function workspacesMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  // user_id keeps the users table's collation: a foreign key needs the same one on both sides.
  const binary = (knex: Knex, table: Knex.CreateTableBuilder) => {
    if (dialectOf(knex) !== 'mysql') return;
    table.charset('utf8mb4');
    table.collate('utf8mb4_bin');
    table.engine('InnoDB');
  };
  const id = (table: Knex.CreateTableBuilder, name: string) => {
    table.string(name, 191).notNullable();
  };
  return {
    async up(knex) {
      // MariaDB commits each CREATE on its own: a run killed between them creates only what is missing.
      if (!(await knex.schema.hasTable(t.workspaces))) {
        await knex.schema.createTable(t.workspaces, (table) => {
          binary(knex, table);
          id(table, 'organization_id');
          id(table, 'workspace_id');
          table.string('name', 255).notNullable();
          table.bigInteger('created_at').notNullable();
          table.bigInteger('updated_at').notNullable();
          table.primary(['organization_id', 'workspace_id']);
        });
      }
      if (!(await knex.schema.hasTable(t.userWorkspaces))) {
        await knex.schema.createTable(t.userWorkspaces, (table) => {
          binary(knex, table);
          table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
          table.string('connector_id', 36).notNullable();
          id(table, 'workspace_id');
          table.boolean('is_primary').notNullable().defaultTo(false);
          table.bigInteger('created_at').notNullable();
          table.primary(['user_id', 'workspace_id']);
          table.index(['connector_id', 'workspace_id'], `${t.userWorkspaces}_workspace_ix`);
        });
      }
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(t.userWorkspaces);
      await knex.schema.dropTableIfExists(t.workspaces);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = workspacesMigration(DEFAULT_TABLE_PREFIX);
