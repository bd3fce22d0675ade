import type { Knex } from 'knex';
import { fileURLToPath } from 'node:url';
import { identitySchemaMigration } from '../../migrations/20261123000000_identity_schema.js';
import { userResourceKindMigration } from '../../migrations/20261201000000_user_resource_kind.js';
import { signInLookupsMigration } from '../../migrations/20261201005000_sign_in_lookups.js';
import { exactKeysMigration } from '../../migrations/20261201010000_exact_keys.js';
import { deprovisioningGuardMigration } from '../../migrations/20261201030000_deprovisioning_guard.js';
import { workspacesMigration } from '../../migrations/20261201040000_workspaces.js';
import { rateCountersMigration } from '../../migrations/20261201050000_rate_counters.js';
import { extensionRowsMultiValuedMigration } from '../../migrations/20261201060000_extension_rows_multivalued.js';
import { deprovisioningsMigration } from '../../migrations/20261201061000_deprovisionings.js';
import { userSignInKeysMigration } from '../../migrations/20261207120000_user_sign_in_keys.js';
import { appSignInCodesMigration } from '../../migrations/20261207121000_app_sign_in_codes.js';
import { userPurgesMigration } from '../../migrations/20261207130000_user_purges.js';
import { partialUserKeysMigration } from '../../migrations/20261208010000_partial_user_keys.js';
import { dialectOf, type Dialect } from './dialect.js';
import { isGaleraNode, MigrationLease } from './migration-lease.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from './tables.js';

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
  { name: '20261201040000_workspaces', formerNames: [], factory: workspacesMigration },
  { name: '20261201050000_rate_counters', formerNames: [], factory: rateCountersMigration },
  { name: '20261201060000_extension_rows_multivalued', formerNames: [], factory: extensionRowsMultiValuedMigration },
  { name: '20261201061000_deprovisionings', formerNames: [], factory: deprovisioningsMigration },
  { name: '20261207120000_user_sign_in_keys', formerNames: [], factory: userSignInKeysMigration },
  { name: '20261207121000_app_sign_in_codes', formerNames: [], factory: appSignInCodesMigration },
  { name: '20261207130000_user_purges', formerNames: [], factory: userPurgesMigration },
  { name: '20261208010000_partial_user_keys', formerNames: [], factory: partialUserKeysMigration },
];

/** The names the migrations table records, in order. */
export const migrationNames = (): string[] => MIGRATIONS.map((m) => m.name);

class PrefixedMigrationSource implements Knex.MigrationSource<MigrationEntry> {
  constructor(private readonly prefix: string) {}
  async getMigrations() {
    return [...MIGRATIONS];
  }
  getMigrationName(entry: MigrationEntry) {
    return entry.name;
  }
  async getMigration(entry: MigrationEntry) {
    return entry.factory(this.prefix);
  }
}

/** Knex migrator settings for one table prefix; the migrations table carries the prefix too. */
export function migrationConfig(prefix: string): Knex.MigratorConfig {
  return {
    migrationSource: new PrefixedMigrationSource(prefix),
    tableName: tableNames(prefix).migrations,
  };
}

/**
 * The connector's migrations for a host's own knexfile, kept in the connector's own migrations table
 * (`idc_knex_migrations`, beside the host's `knex_migrations`): Knex's `migrations` setting, whose
 * `migrationSource` lists the same migrations as `identity.migrate()`, recorded under the same names, so the
 * two paths may be mixed. The host's own migrations keep their own knexfile (Knex runs one migrations table per
 * configuration), or go with the connector's into one table through {@link identityMigrationsDirectory}.
 *
 * @param options.tablePrefix - the connector's `tablePrefix` option (default `idc_`).
 * @example
 * ```ts
 * // identity.knexfile.ts: npx knex migrate:latest --knexfile identity.knexfile.ts
 * import type { Knex } from 'knex';
 * import { identityMigrationConfig } from 'identity-connector';
 *
 * const config: Knex.Config = {
 *   client: 'better-sqlite3',
 *   connection: { filename: './data/app.sqlite' },
 *   useNullAsDefault: true,
 *   migrations: identityMigrationConfig(),
 * };
 * export default config;
 * ```
 */
export function identityMigrationConfig(options: { tablePrefix?: string } = {}): {
  /** The connector's migrations under the prefix, for Knex's `migrationSource`. */
  migrationSource: Knex.MigrationSource<unknown>;
  /** Knex's migration log table under the prefix (`idc_knex_migrations` by default), for `tableName`. */
  tableName: string;
} {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  return { migrationSource: new PrefixedMigrationSource(prefix), tableName: tableNames(prefix).migrations };
}

/**
 * The folder of the connector's migrations (`dist/migrations` in the installed package), for a host whose
 * knexfile lists it beside its own migrations folder (Knex's `directory` takes several): one
 * `knex migrate:latest` then creates the host's tables and the connector's, recorded in the host's migrations
 * table. Each file there is a Knex migration for the default table prefix (`idc_`). Once a database is migrated
 * this way, keep migrating it this way: `identity.migrate()` and the connector's CLI then refuse to migrate it
 * (their own table would not know the steps), and this folder refuses a database the connector's own table
 * already migrated.
 *
 * @example
 * ```ts
 * // knexfile.ts in the host: npx knex migrate:latest
 * import type { Knex } from 'knex';
 * import { identityMigrationsDirectory } from 'identity-connector';
 *
 * const config: Knex.Config = {
 *   client: 'better-sqlite3',
 *   connection: { filename: './data/app.sqlite' },
 *   useNullAsDefault: true,
 *   // The host's folder last: `knex migrate:make` writes into the last one.
 *   migrations: { directory: [identityMigrationsDirectory, './migrations'] },
 * };
 * export default config;
 * ```
 */
export const identityMigrationsDirectory: string = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Whether the connector's tables were created through another migrations table (a host's knexfile listing
 * {@link identityMigrationsDirectory}): they exist, and the connector's own migrations table does not.
 */
async function migratedThroughHostTable(knex: Knex, prefix: string): Promise<boolean> {
  const t = tableNames(prefix);
  return !(await knex.schema.hasTable(t.migrations)) && (await knex.schema.hasTable(t.connectors));
}

/** Refuses to migrate a database whose connector tables another migrations table keeps (see above). */
export async function refuseIfMigratedThroughHostTable(knex: Knex, prefix: string): Promise<void> {
  if (await migratedThroughHostTable(knex, prefix))
    throw new Error(
      `The connector's tables (prefix ${prefix}) were migrated through your own migrations table ` +
        `(a knexfile listing identityMigrationsDirectory), not ${tableNames(prefix).migrations}: keep migrating ` +
        'them with that knexfile (npx knex migrate:latest)',
    );
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

/** How a migration run behaves when another instance is migrating the same tables. */
export interface MigrateOptions {
  /** How long a migrator waits for another one to finish before giving up. */
  waitMs?: number;
}

/**
 * Applies the pending migrations; safe when several instances start at once and after a run that
 * was killed mid-way.
 *
 * MariaDB: the whole run holds a named lock (GET_LOCK) on one pinned connection. Losers wait on
 * the server, then find nothing left to apply. The server frees a named lock when its session
 * ends, so a killed migrator gives it up at once; holding it therefore proves that no migrator
 * going through this function is alive, and a set Knex lock row found then is stale (its holder
 * died between DDL statements, which MariaDB commits one by one) and is freed. The migrations
 * guard each step so that a half-applied one runs again cleanly. Only a raw `knex migrate`
 * through the shipped knexfile skips the named lock: run that one alone.
 *
 * Galera (multi-primary): a named lock holds on one node only, so the run holds a lease row
 * instead, certified cluster-wide (migration-lease.ts); a killed holder's lease runs out.
 *
 * PostgreSQL: the same with a session-level advisory lock (pg_advisory_lock on a hash of the
 * migrations table's name, waited for under lock_timeout), which the server also frees when the
 * session ends. Its DDL is transactional, so Knex runs the whole batch in one transaction: a
 * killed run leaves nothing (lock row included) and the next one starts it over.
 *
 * SQLite: a migration run is one transaction (a killed one leaves nothing, lock row included);
 * concurrent runs on one file meet Knex's lock or a busy database, and retry with backoff.
 */
export async function migrateLatest(knex: Knex, prefix: string, options: MigrateOptions = {}): Promise<string[]> {
  const waitMs = options.waitMs ?? 120_000;
  // The named lock pins one connection while the run needs another: a one-connection pool retries instead.
  const pooled = (knex.client.config.pool?.max ?? 2) >= 2;
  const dialect = dialectOf(knex);
  if (dialect === 'sqlite' || !pooled) return retryWhileBusy(() => applyLatest(knex, prefix), waitMs);
  if (dialect === 'mysql' && (await isGaleraNode(knex))) return migrateUnderLease(knex, prefix, waitMs);
  const connection = await knex.client.acquireConnection();
  const name = tableNames(prefix).migrations;
  const lock = SESSION_LOCKS[dialect];
  try {
    if (!(await lock.take(knex, connection, name, waitMs))) {
      throw new Error(`Another migrator held the migration lock ${name} for over ${waitMs} ms`);
    }
    try {
      await freeStaleLock(knex, prefix);
      return await applyLatest(knex, prefix);
    } finally {
      await lock.release(knex, connection, name);
    }
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

async function migrateUnderLease(knex: Knex, prefix: string, waitMs: number): Promise<string[]> {
  const t = tableNames(prefix);
  const lease = new MigrationLease(knex, t.migrationLease, t.migrations);
  await lease.acquire(waitMs);
  try {
    await freeStaleLock(knex, prefix);
    const applied = await applyLatest(knex, prefix);
    if (lease.wasLost)
      throw new Error(
        `The migration lease ${t.migrations} ran out while migrating (a frozen migrator or a lost node): check the migrations table before restarting`,
      );
    return applied;
  } finally {
    await lease.release();
  }
}

/** A lock the server holds for one session (freed when it ends), taken on a pinned connection. */
interface SessionLock {
  /** Whether the lock was taken within `waitMs`. */
  take(knex: Knex, connection: unknown, name: string, waitMs: number): Promise<boolean>;
  release(knex: Knex, connection: unknown, name: string): Promise<void>;
}

const SESSION_LOCKS: Record<Exclude<Dialect, 'sqlite'>, SessionLock> = {
  mysql: {
    async take(knex, connection, name, waitMs) {
      const [rows] = await knex
        .raw('SELECT GET_LOCK(?, ?) AS got', [name, Math.ceil(waitMs / 1000)])
        .connection(connection);
      return rows[0]?.got === 1;
    },
    async release(knex, connection, name) {
      await knex.raw('SELECT RELEASE_LOCK(?)', [name]).connection(connection);
    },
  },
  postgres: {
    async take(knex, connection, name, waitMs) {
      // lock_timeout bounds the wait on the server; reset before the connection goes back to the pool.
      await knex.raw(`SET lock_timeout = ${Math.ceil(waitMs)}`).connection(connection);
      try {
        await knex.raw('SELECT pg_advisory_lock(hashtextextended(?, 0))', [name]).connection(connection);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') return false;
        throw error;
      } finally {
        await knex.raw('RESET lock_timeout').connection(connection);
      }
    },
    async release(knex, connection, name) {
      await knex.raw('SELECT pg_advisory_unlock(hashtextextended(?, 0))', [name]).connection(connection);
    },
  },
};

async function applyLatest(knex: Knex, prefix: string): Promise<string[]> {
  await refuseIfMigratedThroughHostTable(knex, prefix);
  await adoptFormerMigrationNames(knex, prefix);
  const [, applied] = await knex.migrate.latest(migrationConfig(prefix));
  return applied as string[];
}

/** Called under the session lock only: no live migrator of this package holds Knex's lock then. */
async function freeStaleLock(knex: Knex, prefix: string): Promise<void> {
  const lock = tableNames(prefix).migrationsLock;
  if (await knex.schema.hasTable(lock)) await knex(lock).update({ is_locked: 0 });
}

/** Knex's lock taken by another run, or SQLite's file busy: both clear when that run ends. */
async function retryWhileBusy<T>(run: () => Promise<T>, waitMs: number): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await run();
    } catch (err) {
      const busy =
        err instanceof Error &&
        (err.name === 'MigrationLocked' ||
          /SQLITE_BUSY|already exists/.test(`${(err as { code?: string }).code ?? ''} ${err.message}`));
      if (!busy || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Reverts every migration and drops Knex's two bookkeeping tables: nothing of the connector remains. */
export async function migrateRollbackAll(knex: Knex, prefix: string): Promise<string[]> {
  await adoptFormerMigrationNames(knex, prefix);
  const [, reverted] = await knex.migrate.rollback(migrationConfig(prefix), true);
  const t = tableNames(prefix);
  await knex.schema.dropTableIfExists(t.migrations);
  await knex.schema.dropTableIfExists(t.migrationsLock);
  await knex.schema.dropTableIfExists(t.migrationLease);
  return reverted as string[];
}

/**
 * Whether every migration is recorded, read without creating Knex's bookkeeping tables. Tables a host's
 * knexfile migrated (through {@link identityMigrationsDirectory}) count as migrated: that knexfile keeps them.
 */
export async function isMigrated(knex: Knex, prefix: string): Promise<boolean> {
  const table = tableNames(prefix).migrations;
  if (await migratedThroughHostTable(knex, prefix)) return true;
  if (!(await knex.schema.hasTable(table))) return false;
  const recorded = new Set((await knex(table).select('name')).map((row: { name: string }) => row.name));
  return MIGRATIONS.every(
    ({ name, formerNames }) => recorded.has(name) || formerNames.some((former) => recorded.has(former)),
  );
}
