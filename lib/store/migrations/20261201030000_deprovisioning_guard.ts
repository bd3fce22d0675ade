import type { Knex } from 'knex';
import { tableNames } from '../tables.js';

/**
 * The mass-deprovisioning guard's state on the connector: when it paused deactivations and
 * deletions (null: not paused), and when an admin last resumed them, so the window counts only
 * what happened after the admin's confirmation.
 */
export function deprovisioningGuardMigration(prefix: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      await knex.schema.alterTable(t.connectors, (table) => {
        table.bigInteger('deprovisioning_paused_at').nullable();
        table.bigInteger('deprovisioning_resumed_at').nullable();
      });
    },
    async down(knex) {
      await knex.schema.alterTable(t.connectors, (table) => { table.dropColumns('deprovisioning_paused_at', 'deprovisioning_resumed_at'); });
    },
  };
}
