import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * Rate-limit counters shared by every instance on this database (store/rate-counters.ts): one
 * row per key and fixed window, removed once the window has ended.
 */
export function rateCountersMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      // One statement: a run killed before it leaves nothing, after it finds the table and stops.
      if (await knex.schema.hasTable(t.rateCounters)) return;
      await knex.schema.createTable(t.rateCounters, (table) => {
        // Keys compared exactly (no PAD SPACE), as every key column since exact_keys.
        if (dialectOf(knex) === 'mysql') {
          table.charset('utf8mb4');
          table.collate('utf8mb4_nopad_bin');
          table.engine('InnoDB');
        }
        table.string('counter_key', 191).notNullable();
        table.bigInteger('window_start').notNullable();
        table.integer('hits').notNullable();
        table.bigInteger('expires_at').notNullable();
        table.primary(['counter_key', 'window_start']);
        table.index(['expires_at'], `${prefix}rate_counters_expires`);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(t.rateCounters);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = rateCountersMigration(DEFAULT_TABLE_PREFIX);
