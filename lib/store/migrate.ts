import type { Knex } from 'knex';
import { identitySchemaMigration } from '../../migrations/20261123000000_identity_schema.js';
import { dropUnusedAuditIndexMigration } from '../../migrations/20261201020000_drop_unused_audit_index.js';
import { tableNames } from './tables.js';

type MigrationFactory = (prefix: string) => { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

/** Ordered list of the package's migrations; names match the files in migrations/. */
const MIGRATIONS: ReadonlyArray<readonly [string, MigrationFactory]> = [
  ['20261123000000_identity_schema.ts', identitySchemaMigration],
  ['20261201020000_drop_unused_audit_index.ts', dropUnusedAuditIndexMigration],
];

class PrefixedMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly prefix: string) {}
  async getMigrations() { return MIGRATIONS.map(([name]) => name); }
  getMigrationName(name: string) { return name; }
  async getMigration(name: string) {
    const entry = MIGRATIONS.find(([n]) => n === name);
    if (!entry) throw new Error(`unknown migration ${name}`);
    return entry[1](this.prefix);
  }
}

export function migrationConfig(prefix: string): Knex.MigratorConfig {
  const t = tableNames(prefix);
  return {
    migrationSource: new PrefixedMigrationSource(prefix),
    tableName: t.migrations,
  };
}

export async function migrateLatest(knex: Knex, prefix: string): Promise<string[]> {
  const [, applied] = await knex.migrate.latest(migrationConfig(prefix));
  return applied as string[];
}

export async function migrateRollbackAll(knex: Knex, prefix: string): Promise<string[]> {
  const [, reverted] = await knex.migrate.rollback(migrationConfig(prefix), true);
  return reverted as string[];
}
