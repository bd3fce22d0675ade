import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * When a connector's OpenID Connect round trip last completed (an ID token from Entra verified).
 * Switching users to SSO is refused until it has, so an admin cannot lock people out behind a
 * connection that was never shown to work; changing the OIDC settings clears it.
 */
export function ssoVerifiedMigration(prefix: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      await knex.schema.alterTable(t.connectors, (table) => { table.bigInteger('sso_verified_at').nullable(); });
    },
    async down(knex) {
      await knex.schema.alterTable(t.connectors, (table) => { table.dropColumn('sso_verified_at'); });
    },
  };
}

// For the host's own Knex CLI (knexfile.ts): the prefix comes from IDENTITY_TABLE_PREFIX.
const fromEnvironment = ssoVerifiedMigration(process.env.IDENTITY_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX);
export const up = fromEnvironment.up;
export const down = fromEnvironment.down;
