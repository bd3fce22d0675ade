import type { Knex } from 'knex';
import { KEY_LENGTH } from '../lib/model/limits.js';
import { dialectOf } from '../lib/store/dialect.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';
import { dropColumns } from '../lib/store/drop-columns.js';

/**
 * Two keys of a user that SCIM's document does not carry on its own:
 *
 * - `entra_object_id`: the Entra object id (`oid`) of the account that signs in as this user,
 *   learnt from a GUID externalId or from the first verified sign-in in the connector's tenant.
 *   Entra's default mapping sends `externalId` = mailNickname, so externalId cannot be it.
 * - `email_key`: the normalised primary email, set only on connectors whose `uniqueEmail` is on
 *   (the modelled platform: "this must be unique per user since it is used as our username").
 *   A unique key makes concurrent writes of the same email safe; NULLs (setting off) never collide.
 */
export function userSignInKeysMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      // MariaDB commits DDL one statement at a time: a run killed between them runs again, so each is guarded.
      if (!(await knex.schema.hasColumn(t.users, 'entra_object_id'))) {
        await knex.schema.alterTable(t.users, (table) => {
          table.string('entra_object_id', 36).nullable();
          table.index(['connector_id', 'entra_object_id'], `${t.users}_entra_object_ix`);
        });
      }
      if (!(await knex.schema.hasColumn(t.users, 'email_key'))) {
        await knex.schema.alterTable(t.users, (table) => {
          table.string('email_key', KEY_LENGTH).nullable();
          table.unique(['connector_id', 'email_key'], { indexName: `${t.users}_email_uq` });
        });
        if (dialectOf(knex) === 'mysql') {
          // Exact, as the other key columns (20261201010000_exact_keys): no PAD SPACE, so "a@b " is not "a@b".
          await knex.raw(
            `ALTER TABLE ?? MODIFY ?? VARCHAR(${KEY_LENGTH}) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL`,
            [t.users, 'email_key'],
          );
        } else if (dialectOf(knex) === 'postgres') {
          // Byte order, as the other key columns (20261201010000_exact_keys).
          await knex.raw(`ALTER TABLE ?? ALTER COLUMN ?? TYPE varchar(${KEY_LENGTH}) COLLATE "C"`, [
            t.users,
            'email_key',
          ]);
        }
      }
    },
    async down(knex) {
      await knex.schema.alterTable(t.users, (table) => {
        table.dropUnique(['connector_id', 'email_key'], `${t.users}_email_uq`);
        table.dropIndex(['connector_id', 'entra_object_id'], `${t.users}_entra_object_ix`);
      });
      await dropColumns(knex, t.users, ['email_key', 'entra_object_id']);
    },
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = userSignInKeysMigration(DEFAULT_TABLE_PREFIX);
