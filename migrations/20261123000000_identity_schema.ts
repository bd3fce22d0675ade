import type { Knex } from 'knex';
import { dialectOf } from '../lib/store/dialect.js';
import { pinSqlitePlannerStats, unpinSqlitePlannerStats } from '../lib/store/sqlite-planner-stats.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../lib/store/tables.js';

/**
 * The identity store's tables. Times are epoch milliseconds (BIGINT) so that comparisons,
 * filters and keyset cursors behave the same on SQLite and MariaDB. On MariaDB every table
 * uses a binary collation: case-insensitive matching is done on normalised *_key columns,
 * never by a collation (MariaDB's default ones also fold accents: josé = jose).
 */
export function identitySchemaMigration(prefix: string): {
  /** Creates the tables and indexes under the prefix. */
  up: (knex: Knex) => Promise<void>;
  /** Drops them, and every row in them. */
  down: (knex: Knex) => Promise<void>;
} {
  const t = tableNames(prefix);
  const binary = (knex: Knex, table: Knex.CreateTableBuilder) => {
    if (isMysql(knex)) {
      table.charset('utf8mb4');
      table.collate('utf8mb4_bin');
      table.engine('InnoDB');
    }
  };
  const names = [
    t.auditEvents,
    t.groupMembers,
    t.groups,
    t.userExtensions,
    t.userAddresses,
    t.userValues,
    t.users,
    t.scimTokens,
    t.connectors,
  ];
  const dropAll = async (knex: Knex) => {
    if (isSqlite(knex)) await unpinSqlitePlannerStats(knex, t);
    for (const name of names) await knex.schema.dropTableIfExists(name);
  };
  return {
    async up(knex) {
      await refuseIfRecordedInConnectorTable(knex, t.migrations);
      // MariaDB commits each CREATE on its own: tables found while this migration is unrecorded
      // are a killed run's half (no connector runs before it is recorded), so start over.
      // (SQLite and PostgreSQL roll a killed run back whole: they find nothing here.)
      for (const name of names)
        if (await knex.schema.hasTable(name)) {
          await dropAll(knex);
          break;
        }
      await knex.schema.createTable(t.connectors, (table) => {
        binary(knex, table);
        table.string('id', 36).primary();
        table.string('organization_id', 191).notNullable();
        table.string('name', 191).notNullable();
        table.string('profile', 32).notNullable().defaultTo('entra');
        table.string('oidc_issuer', 512).nullable();
        table.string('oidc_client_id', 255).nullable();
        table.text('oidc_client_secret_enc').nullable();
        table.string('entra_tenant_id', 64).nullable();
        table.text('settings').notNullable();
        table.string('default_group_id', 36).nullable();
        table.bigInteger('created_at').notNullable();
        table.bigInteger('updated_at').notNullable();
        table.unique(['organization_id', 'name'], { indexName: `${t.connectors}_org_name_uq` });
      });

      await knex.schema.createTable(t.scimTokens, (table) => {
        binary(knex, table);
        table.string('id', 36).primary();
        table.string('connector_id', 36).notNullable().references('id').inTable(t.connectors).onDelete('CASCADE');
        table.string('token_hash', 64).notNullable();
        table.string('display_prefix', 16).notNullable();
        table.string('label', 191).nullable();
        table.bigInteger('created_at').notNullable();
        table.bigInteger('last_used_at').nullable();
        table.bigInteger('expires_at').nullable();
        table.bigInteger('revoked_at').nullable();
        table.unique(['token_hash'], { indexName: `${t.scimTokens}_hash_uq` });
        table.index(['connector_id'], `${t.scimTokens}_connector_ix`);
      });

      await knex.schema.createTable(t.users, (table) => {
        binary(knex, table);
        table.string('id', 36).primary();
        table.string('connector_id', 36).notNullable().references('id').inTable(t.connectors).onDelete('CASCADE');
        table.string('external_id', 255).nullable();
        table.string('user_name', 255).notNullable();
        table.string('user_name_key', 255).notNullable();
        table.boolean('active').notNullable().defaultTo(true);
        table.string('given_name', 255).nullable();
        table.string('family_name', 255).nullable();
        table.string('display_name', 255).nullable();
        table.string('display_name_key', 255).nullable();
        table.string('title', 255).nullable();
        table.string('user_type', 64).nullable();
        table.string('locale', 64).nullable();
        table.string('preferred_language', 64).nullable();
        table.string('login_method', 16).notNullable().defaultTo('builtin');
        table.string('web_role', 32).nullable();
        table.boolean('protected').notNullable().defaultTo(false);
        table.string('password_hash', 255).nullable();
        table.integer('version').notNullable().defaultTo(1);
        table.text('document', 'mediumtext').notNullable();
        table.bigInteger('created_at').notNullable();
        table.bigInteger('updated_at').notNullable();
        table.unique(['connector_id', 'user_name_key'], { indexName: `${t.users}_user_name_uq` });
        table.index(['connector_id', 'external_id'], `${t.users}_external_id_ix`);
        table.index(['connector_id', 'display_name_key'], `${t.users}_display_name_ix`);
        // With id, a deep page's OFFSET walks this index alone (SQLite's secondary indexes hold only the rowid).
        table.index(['connector_id', 'created_at', 'id'], `${t.users}_created_ix`);
        table.index(['connector_id', 'updated_at'], `${t.users}_updated_ix`);
      });

      // emails, phoneNumbers, ims, photos, entitlements, roles, x509Certificates: one shape, one table.
      await knex.schema.createTable(t.userValues, (table) => {
        binary(knex, table);
        table.bigIncrements('id');
        table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
        table.string('connector_id', 36).notNullable();
        table.string('attribute', 32).notNullable();
        table.integer('position').notNullable();
        table.text('value').nullable();
        table.string('value_key', 255).nullable();
        table.string('type', 64).nullable();
        table.string('display', 255).nullable();
        table.boolean('is_primary').notNullable().defaultTo(false);
        table.index(['connector_id', 'attribute', 'value_key'], `${t.userValues}_lookup_ix`);
        table.index(['user_id', 'attribute'], `${t.userValues}_user_ix`);
      });

      await knex.schema.createTable(t.userAddresses, (table) => {
        binary(knex, table);
        table.bigIncrements('id');
        table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
        table.string('connector_id', 36).notNullable();
        table.integer('position').notNullable();
        table.string('type', 64).nullable();
        table.text('formatted').nullable();
        table.string('street_address', 512).nullable();
        table.string('locality', 255).nullable();
        table.string('region', 255).nullable();
        table.string('postal_code', 64).nullable();
        table.string('country', 64).nullable();
        table.boolean('is_primary').notNullable().defaultTo(false);
        table.index(['user_id'], `${t.userAddresses}_user_ix`);
        table.index(['connector_id', 'locality'], `${t.userAddresses}_locality_ix`);
      });

      // Extension attributes (enterprise, Metadata keys, folders, primaryWorkspace, …) one value a row.
      await knex.schema.createTable(t.userExtensions, (table) => {
        binary(knex, table);
        table.bigIncrements('id');
        table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
        table.string('connector_id', 36).notNullable();
        table.string('schema_urn', 191).notNullable();
        table.string('attr_path', 191).notNullable();
        table.integer('position').notNullable();
        table.text('value').nullable();
        table.string('value_key', 255).nullable();
        table.index(['connector_id', 'schema_urn', 'attr_path', 'value_key'], `${t.userExtensions}_lookup_ix`);
        table.index(['user_id'], `${t.userExtensions}_user_ix`);
      });

      await knex.schema.createTable(t.groups, (table) => {
        binary(knex, table);
        table.string('id', 36).primary();
        table.string('connector_id', 36).notNullable().references('id').inTable(t.connectors).onDelete('CASCADE');
        table.string('display_name', 255).notNullable();
        table.string('display_name_key', 255).notNullable();
        table.string('external_id', 255).nullable();
        table.integer('version').notNullable().defaultTo(1);
        table.text('document').notNullable();
        table.bigInteger('created_at').notNullable();
        table.bigInteger('updated_at').notNullable();
        table.unique(['connector_id', 'display_name_key'], { indexName: `${t.groups}_display_name_uq` });
        table.index(['connector_id', 'external_id'], `${t.groups}_external_id_ix`);
        table.index(['connector_id', 'created_at', 'id'], `${t.groups}_created_ix`);
      });

      await knex.schema.createTable(t.groupMembers, (table) => {
        binary(knex, table);
        table.string('group_id', 36).notNullable().references('id').inTable(t.groups).onDelete('CASCADE');
        table.string('user_id', 36).notNullable().references('id').inTable(t.users).onDelete('CASCADE');
        table.string('display', 255).nullable();
        table.bigInteger('created_at').notNullable();
        table.primary(['group_id', 'user_id']);
        table.index(['user_id', 'group_id'], `${t.groupMembers}_user_ix`);
      });

      await knex.schema.createTable(t.auditEvents, (table) => {
        binary(knex, table);
        table.bigIncrements('id');
        table.string('connector_id', 36).nullable();
        table.bigInteger('at').notNullable();
        table.string('request_id', 64).nullable();
        table.string('actor', 191).notNullable();
        table.string('operation', 64).notNullable();
        table.string('resource_type', 32).nullable();
        table.string('resource_id', 36).nullable();
        table.string('outcome', 16).notNullable();
        table.integer('status').nullable();
        table.string('scim_type', 32).nullable();
        table.text('detail').nullable();
        table.index(['connector_id', 'at'], `${t.auditEvents}_connector_at_ix`);
        table.index(['connector_id', 'resource_id'], `${t.auditEvents}_resource_ix`);
      });
      if (isSqlite(knex)) await pinSqlitePlannerStats(knex, t, 'split');
    },

    down: dropAll,
  };
}

const isMysql = (knex: Knex): boolean => dialectOf(knex) === 'mysql';
const isSqlite = (knex: Knex): boolean => dialectOf(knex) === 'sqlite';

/**
 * A host's knexfile that lists the migrations directory records this step in its own migrations table. Had the
 * connector's own table (identity.migrate(), the CLI, the shipped knexfile) already recorded it, the tables found
 * below are live data, not a killed run's half: refuse rather than drop them.
 */
async function refuseIfRecordedInConnectorTable(knex: Knex, migrationsTable: string): Promise<void> {
  if (!(await knex.schema.hasTable(migrationsTable))) return;
  const name = '20261123000000_identity_schema';
  const recorded = await knex(migrationsTable)
    .whereIn('name', [name, `${name}.ts`, `${name}.js`])
    .first();
  if (recorded)
    throw new Error(
      `The connector's tables are already migrated and recorded in ${migrationsTable}: keep migrating them there ` +
        '(identity.migrate(), identity-connector migrate, or a knexfile with identityMigrationConfig()), ' +
        'not through identityMigrationsDirectory in another migrations table',
    );
}

/** This step for the default table prefix, as Knex loads a migrations directory (`identityMigrationsDirectory`). */
export const { up, down } = identitySchemaMigration(DEFAULT_TABLE_PREFIX);
