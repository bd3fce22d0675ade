import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * One-time codes of mobile and desktop sign-in (RFC 8252): after a sign-in through Entra in the
 * system browser, the app gets a code it redeems once, with its PKCE verifier, at
 * `{mountPath}/sso/app/token`. Only the code's SHA-256 is stored; any instance can redeem it.
 */
export function appSignInCodesMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      if (await knex.schema.hasTable(t.appSignInCodes)) return;
      await knex.schema.createTable(t.appSignInCodes, (table) => {
        if (dialectOf(knex) === 'mysql') {
          // The referenced id columns' charset and collation: a foreign key needs them equal.
          table.charset('utf8mb4');
          table.collate('utf8mb4_bin');
          table.engine('InnoDB');
        }
        table.string('code_hash', 64).primary();
        table.string('connector_id', 36).notNullable().references('id').inTable(t.connectors).onDelete('CASCADE');
        table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
        table.string('redirect_uri', 2048).notNullable();
        table.string('code_challenge', 128).notNullable();
        table.string('matched_by', 32).notNullable();
        table.bigInteger('expires_at').notNullable();
        table.index(['expires_at'], `${t.appSignInCodes}_expires_ix`);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(t.appSignInCodes);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = appSignInCodesMigration(DEFAULT_TABLE_PREFIX);
