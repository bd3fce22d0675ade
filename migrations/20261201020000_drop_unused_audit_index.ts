import type { Knex } from 'knex';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * Every change writes an audit row, and each index on the audit table is one more entry per
 * write. Nothing reads the log by resource (the admin page pages it by connector and time), so
 * (connector_id, resource_id) goes. The users table keeps all of its indexes: each serves a
 * constraint (userName), a filter (externalId, displayName, meta.lastModified) or the paging
 * order (created_at).
 */
export function dropUnusedAuditIndexMigration(prefix: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const t = tableNames(prefix);
  const name = `${t.auditEvents}_resource_ix`;
  return {
    async up(knex) {
      await knex.schema.alterTable(t.auditEvents, (table) => table.dropIndex(['connector_id', 'resource_id'], name));
    },
    async down(knex) {
      await knex.schema.alterTable(t.auditEvents, (table) => table.index(['connector_id', 'resource_id'], name));
    },
  };
}

// For the host's own Knex CLI (knexfile.ts): the prefix comes from IDENTITY_TABLE_PREFIX.
const fromEnvironment = dropUnusedAuditIndexMigration(process.env.IDENTITY_TABLE_PREFIX ?? DEFAULT_TABLE_PREFIX);
export const up = fromEnvironment.up;
export const down = fromEnvironment.down;
