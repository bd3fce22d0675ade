import type { Knex } from 'knex';
import { identitySchemaMigration } from './migrations/20261123000000_identity_schema.js';
import { userResourceKindMigration } from './migrations/20261201000000_user_resource_kind.js';
import { signInLookupsMigration } from './migrations/20261201005000_sign_in_lookups.js';
import { exactKeysMigration } from './migrations/20261201010000_exact_keys.js';
import { deprovisioningGuardMigration } from './migrations/20261201030000_deprovisioning_guard.js';
import { tableNames } from './tables.js';

type MigrationFactory = (prefix: string) => { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

interface MigrationEntry {
  /** What the migrations table records: no file extension, so source (.ts) and build (.js) agree. */
  name: string;
  /** Names 0.1.0 recorded: `.ts` from `identity.migrate()`, `.js` from the built knexfile's directory scan. */
  formerNames: string[];
  factory: MigrationFactory;
}

/**
 * The package's migrations, in order: the one list `identity.migrate()`, the CLI and the shipped
 * knexfile (through `migrationConfig`) all apply, so no path depends on file names on disk.
 */
const MIGRATIONS: readonly MigrationEntry[] = [
  {
    name: '20261123000000_identity_schema',
    formerNames: ['20261123000000_identity_schema.ts', '20261123000000_identity_schema.js'],
    factory: identitySchemaMigration,
  },
  { name: '20261201000000_user_resource_kind', formerNames: [], factory: userResourceKindMigration },
  { name: '20261201005000_sign_in_lookups', formerNames: [], factory: signInLookupsMigration },
  { name: '20261201010000_exact_keys', formerNames: [], factory: exactKeysMigration },
  { name: '20261201030000_deprovisioning_guard', formerNames: [], factory: deprovisioningGuardMigration },
];

/** The names the migrations table records, in order. */
export const migrationNames = (): string[] => MIGRATIONS.map((m) => m.name);

class PrefixedMigrationSource implements Knex.MigrationSource<MigrationEntry> {
  constructor(private readonly prefix: string) {}
  async getMigrations() { return [...MIGRATIONS]; }
  getMigrationName(entry: MigrationEntry) { return entry.name; }
  async getMigration(entry: MigrationEntry) { return entry.factory(this.prefix); }
}

/** Knex migrator settings for one table prefix; the migrations table carries the prefix too. */
export function migrationConfig(prefix: string): Knex.MigratorConfig {
  return {
    migrationSource: new PrefixedMigrationSource(prefix),
    tableName: tableNames(prefix).migrations,
  };
}

/**
 * Renames rows 0.1.0 recorded under a file name (`….ts` or `….js`) to the extension-less name,
 * before Knex compares the recorded names with the list (it refuses names it does not know).
 */
export async function adoptFormerMigrationNames(knex: Knex, prefix: string): Promise<void> {
  const table = tableNames(prefix).migrations;
  if (!(await knex.schema.hasTable(table))) return;
  for (const { name, formerNames } of MIGRATIONS) {
    await knex(table).whereIn('name', formerNames).update({ name });
  }
}

export async function migrateLatest(knex: Knex, prefix: string): Promise<string[]> {
  await adoptFormerMigrationNames(knex, prefix);
  const [, applied] = await knex.migrate.latest(migrationConfig(prefix));
  return applied as string[];
}

/** Reverts every migration and drops Knex's two bookkeeping tables: nothing of the connector remains. */
export async function migrateRollbackAll(knex: Knex, prefix: string): Promise<string[]> {
  await adoptFormerMigrationNames(knex, prefix);
  const [, reverted] = await knex.migrate.rollback(migrationConfig(prefix), true);
  const t = tableNames(prefix);
  await knex.schema.dropTableIfExists(t.migrations);
  await knex.schema.dropTableIfExists(t.migrationsLock);
  return reverted as string[];
}

/** Whether every migration is recorded, read without creating Knex's bookkeeping tables. */
export async function isMigrated(knex: Knex, prefix: string): Promise<boolean> {
  const table = tableNames(prefix).migrations;
  if (!(await knex.schema.hasTable(table))) return false;
  const recorded = new Set((await knex(table).select('name')).map((row: { name: string }) => row.name));
  return MIGRATIONS.every(({ name, formerNames }) => recorded.has(name) || formerNames.some((former) => recorded.has(former)));
}
