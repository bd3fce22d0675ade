import type { Knex } from 'knex';
import { MAX_DEPROVISION_WINDOW_MINUTES } from '../lib/model/limits.js';
import { dialectOf, idiomsOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * One row per deactivation or deletion the mass-deprovisioning guard admitted, keyed
 * (connector_id, at, user_id): the guard counts its window as an index range of these rows.
 * It used to count the window in the provisioning log, which walked every audit row of the
 * window (every create and update too) and matched a LIKE on each: 5–10 ms a deletion after an
 * initial sync of 7,000 users, growing with the sync. One tree (SQLite WITHOUT ROWID; InnoDB's
 * clustered key), no secondary index.
 *
 * The longest window's deprovisionings are copied from the log, so a guard mid-window keeps
 * its count; the copy ignores rows already there, so a run again (after a crash) adds nothing.
 */
export function deprovisioningsMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      const dialect = dialectOf(knex);
      if (!(await knex.schema.hasTable(t.deprovisionings))) {
        if (dialect !== 'sqlite') {
          await knex.schema.createTable(t.deprovisionings, (table) => {
            if (dialect === 'mysql') {
              table.charset('utf8mb4');
              table.collate('utf8mb4_bin');
              table.engine('InnoDB');
            }
            table.string('connector_id', 36).notNullable();
            table.bigInteger('at').notNullable();
            table.string('user_id', 36).notNullable();
            table.primary(['connector_id', 'at', 'user_id']);
          });
        } else {
          await knex.raw(
            `CREATE TABLE ?? (connector_id varchar(36) NOT NULL, at bigint NOT NULL, user_id varchar(36) NOT NULL, PRIMARY KEY (connector_id, at, user_id)) WITHOUT ROWID`,
            [t.deprovisionings],
          );
        }
      }
      const since = Date.now() - MAX_DEPROVISION_WINDOW_MINUTES * 60_000;
      const columns = 'connector_id, at, user_id';
      await knex.raw(
        idiomsOf(dialect).insertSelectIgnoring(
          '??',
          columns,
          `SELECT connector_id, at, resource_id FROM ?? WHERE at >= ? AND outcome = 'success'
           AND connector_id IS NOT NULL AND resource_id IS NOT NULL AND (operation = 'user.delete' OR detail LIKE ?)`,
          columns,
        ),
        [t.deprovisionings, t.auditEvents, since, '%"active":{"from":true,"to":false}%'],
      );
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(t.deprovisionings);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = deprovisioningsMigration(DEFAULT_TABLE_PREFIX);
