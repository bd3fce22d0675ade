import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { dropColumns } from '../lib/store/drop-columns.js';

/**
 * The mass-deprovisioning guard's state on the connector: when it paused deactivations and
 * deletions (null: not paused), and when an admin last resumed them, so the window counts only
 * what happened after the admin's confirmation.
 */
export function deprovisioningGuardMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      // MariaDB commits DDL one statement at a time: a run killed between the two runs this again.
      for (const column of ['deprovisioning_paused_at', 'deprovisioning_resumed_at']) {
        if (!(await knex.schema.hasColumn(t.connectors, column)))
          await knex.schema.alterTable(t.connectors, (table) => {
            table.bigInteger(column).nullable();
          });
      }
    },
    async down(knex) {
      await dropColumns(knex, t.connectors, ['deprovisioning_paused_at', 'deprovisioning_resumed_at']);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = deprovisioningGuardMigration(DEFAULT_TABLE_PREFIX);
