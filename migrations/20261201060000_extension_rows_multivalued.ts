import type { Knex } from 'knex';
import { chunks } from '../lib/store/context.js';
import { projectUser } from '../lib/store/project-user.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

const BATCH = 500;

/**
 * Extension rows only for multi-valued extension attributes: single-valued ones (enterprise
 * department, employeeNumber, manager, Metadata keys, primaryWorkspace) are filtered from the
 * stored document (filter-sql.ts), so a create no longer writes one indexed row per attribute.
 * Existing users' rows are recomputed from their documents by the current projection, in
 * batches of users that have rows; running it again writes the same rows (idempotent), and a
 * run killed between batches leaves every batch either old or new, both of which this redoes.
 * No DDL: the table and its indexes stay, for the multi-valued attributes.
 */
export function extensionRowsMultiValuedMigration(prefix: string): {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  return {
    async up(knex) {
      let after = '';
      for (;;) {
        const ids = (
          await knex(t.userExtensions).distinct('user_id').where('user_id', '>', after).orderBy('user_id').limit(BATCH)
        ).map((r: { user_id: string }) => r.user_id);
        if (!ids.length) return;
        const users = await knex(t.users).select('id', 'connector_id', 'document').whereIn('id', ids);
        const rows = users.flatMap((u: { id: string; connector_id: string; document: string }) =>
          projectUser(JSON.parse(u.document)).extensions.map((row) => ({
            ...row,
            user_id: u.id,
            connector_id: u.connector_id,
          })),
        );
        const rewrite = async (trx: Knex) => {
          await trx(t.userExtensions).whereIn('user_id', ids).delete();
          for (const chunk of chunks(rows, 100)) await trx(t.userExtensions).insert(chunk);
        };
        // SQLite runs the whole migration in one transaction already; MariaDB gets one per batch.
        if (knex.isTransaction) await rewrite(knex);
        else await knex.transaction(rewrite);
        after = ids[ids.length - 1];
      }
    },
    // Not restored: code before this migration would miss the removed rows only in filters on
    // single-valued extension attributes; the first migration's down drops the table anyway.
    async down() {},
  };
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = extensionRowsMultiValuedMigration(DEFAULT_TABLE_PREFIX);
