import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * Sign-in lookups across connectors by email (requireLoginMethod, checkLoginMethod): the
 * existing value index leads with connector_id, so an index on (attribute, value_key).
 *
 * When a connector's OpenID Connect round trip last completed (an ID token from Entra verified).
 * Switching users to SSO is refused until it has, so an admin cannot lock people out behind a
 * connection that was never shown to work; changing the OIDC settings clears it.
 */
export function signInLookupsMigration(prefix: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      await knex.schema.alterTable(t.connectors, (table) => { table.bigInteger('sso_verified_at').nullable(); });
      await knex.schema.alterTable(t.userValues, (table) => { table.index(['attribute', 'value_key'], `${t.userValues}_identifier_ix`); });
    },
    async down(knex) {
      await knex.schema.alterTable(t.userValues, (table) => { table.dropIndex(['attribute', 'value_key'], `${t.userValues}_identifier_ix`); });
      await knex.schema.alterTable(t.connectors, (table) => { table.dropColumn('sso_verified_at'); });
    },
  };
}

// For the host's own Knex CLI (knexfile.ts): the prefix comes from IDENTITY_TABLE_PREFIX.
const fromEnvironment = signInLookupsMigration(process.env.IDENTITY_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX);
export const up = fromEnvironment.up;
export const down = fromEnvironment.down;
