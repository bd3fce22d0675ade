import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import knexfile, { MAKE_REFUSAL } from '../../knexfile.js';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore } from '../../lib/store/index.js';
import {
  identityMigrationConfig,
  identityMigrationsDirectory,
  isMigrated,
  migrateLatest,
  migrateRollbackAll,
  migrationNames,
} from '../../lib/store/migrate.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../../lib/store/tables.js';
import { ENVIRONMENT_VARIABLES } from '../../lib/runtime/environment.js';
import { connectKnex } from '../../lib/store/connect.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';

const SCHEMA = '20261123000000_identity_schema';
const SHIPPED = migrationNames();

describeEachDatabase('Migrations: one list for identity.migrate() and the shipped knexfile', (db) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-migrations-'));
  // An in-memory SQLite database lives in one Knex instance; the knexfile opens its own, so a file.
  const url = db.name === 'sqlite' ? `sqlite:${path.join(dir, 'host.sqlite')}` : db.url;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, IDENTITY_TABLE_PREFIX: process.env.IDENTITY_TABLE_PREFIX };
  let prefix: string;
  let knex: Knex;
  let store: IdentityStore;
  beforeEach(() => {
    prefix = uniquePrefix();
    process.env.DATABASE_URL = url;
    process.env.IDENTITY_TABLE_PREFIX = prefix;
    knex = testKnex({ name: db.name, url });
    store = new IdentityStore(knex, prefix, new IdentityEvents());
  });
  afterEach(async () => {
    await store.rollbackAll();
    await knex.destroy();
    Object.assign(process.env, saved);
    for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What `npx knex --knexfile … migrate:latest` does with the knexfile's configuration. */
  async function knexCli<T>(run: (host: Knex, config: Knex.Config) => Promise<T>): Promise<T> {
    const config = await knexfile();
    const host = knexFactory(config);
    try {
      return await run(host, config);
    } finally {
      await host.destroy();
    }
  }
  const cliLatest = () =>
    knexCli(async (host, config) => (await host.migrate.latest(config.migrations))[1] as string[]);
  const recorded = async () =>
    (await knex(store.tables.migrations).select('name').orderBy('id')).map((row: { name: string }) => row.name);

  it('records the migration without a file extension, so the source and the build agree', async () => {
    expect(await store.migrate()).to.deep.equal(SHIPPED);
    expect(await recorded()).to.deep.equal(SHIPPED);
  });

  it('identity.migrate() first, then the Knex CLI: nothing left to apply', async () => {
    await store.migrate();
    expect(await cliLatest()).to.deep.equal([]);
  });

  it('the Knex CLI first, then identity.migrate(): nothing left to apply, and the store works', async () => {
    expect(await cliLatest()).to.deep.equal(SHIPPED);
    expect(await store.migrate()).to.deep.equal([]);
    expect((await store.connectors.create({ organizationId: 'org', name: 'after-cli' })).name).to.equal('after-cli');
  });

  for (const former of [`${SCHEMA}.ts`, `${SCHEMA}.js`]) {
    it(`adopts a database that 0.1.0 recorded as ${former}, by either path`, async () => {
      await store.migrate();
      await knex(store.tables.migrations).where({ name: SCHEMA }).update({ name: former });
      expect(await isMigrated(knex, prefix)).to.equal(true);
      expect(await cliLatest()).to.deep.equal([]);
      expect(await recorded()).to.deep.equal(SHIPPED);
      await knex(store.tables.migrations).where({ name: SCHEMA }).update({ name: former });
      expect(await store.migrate()).to.deep.equal([]);
      expect(await recorded()).to.deep.equal(SHIPPED);
    });
  }

  it("rollbackAll leaves no table behind, Knex's bookkeeping included", async () => {
    await store.migrate();
    expect(await isMigrated(knex, prefix)).to.equal(true);
    await store.rollbackAll();
    for (const table of Object.values(store.tables)) expect(await knex.schema.hasTable(table), table).to.equal(false);
    expect(await isMigrated(knex, prefix)).to.equal(false);
  });
});

describeEachDatabase("A host's own knexfile runs the connector's migrations", (db) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-host-migrations-'));
  const url = db.name === 'sqlite' ? `sqlite:${path.join(dir, 'host.sqlite')}` : db.url;
  // The host's own migrations folder, with one migration of its own (CommonJS: the folder has no package.json).
  const hostMigrations = path.join(dir, 'migrations');
  fs.mkdirSync(hostMigrations);
  fs.writeFileSync(
    path.join(hostMigrations, '20250101000000_host_notes.cjs'),
    `exports.up = (knex) => knex.schema.createTable('host_notes', (t) => { t.increments('id'); t.string('text'); });
exports.down = (knex) => knex.schema.dropTable('host_notes');
`,
  );
  // The connector's folder keeps the default prefix; the host's migrations table is the test's own.
  const prefix = DEFAULT_TABLE_PREFIX;
  let hostTable: string;
  let knex: Knex;
  beforeEach(() => {
    hostTable = `host_migrations_${uniquePrefix()}`;
    // Knex logs a refused migration before rejecting with it; the tests assert the rejection.
    knex = connectKnex(url, { log: { warn() {}, error() {} } });
  });
  afterEach(async () => {
    await knex.migrate.rollback(
      { directory: [identityMigrationsDirectory, hostMigrations], tableName: hostTable },
      true,
    );
    await migrateRollbackAll(knex, prefix);
    for (const table of [hostTable, `${hostTable}_lock`, 'host_notes']) await knex.schema.dropTableIfExists(table);
    await knex.destroy();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const hostLatest = async () =>
    (
      await knex.migrate.latest({ directory: [identityMigrationsDirectory, hostMigrations], tableName: hostTable })
    )[1] as string[];

  it("in the host's table: one migrate:latest creates the host's tables and the connector's", async () => {
    const applied = await hostLatest();
    expect(applied).to.have.length(SHIPPED.length + 1);
    expect(applied).to.include('20250101000000_host_notes.cjs');
    expect(await knex.schema.hasTable('host_notes')).to.equal(true);
    expect(await knex.schema.hasTable(tableNames(prefix).connectors)).to.equal(true);
    expect(await knex.schema.hasTable(tableNames(prefix).migrations), "the connector's own table").to.equal(false);
    const store = new IdentityStore(knex, prefix, new IdentityEvents());
    expect((await store.connectors.create({ organizationId: 'org', name: 'host-run' })).name).to.equal('host-run');
    // The CLI's check finds the tables migrated; the connector's own migrators refuse to record them a second time.
    expect(await isMigrated(knex, prefix)).to.equal(true);
    const refusal = await migrateLatest(knex, prefix).catch((error: Error) => error);
    expect((refusal as Error).message).to.match(/migrated through your own migrations table/);
    expect(await hostLatest()).to.deep.equal([]);
  });

  it("refuses a database the connector's own table migrated, and leaves its data", async () => {
    const store = new IdentityStore(knex, prefix, new IdentityEvents());
    await store.migrate();
    await store.connectors.create({ organizationId: 'org', name: 'kept' });
    const refusal = await hostLatest().catch((error: Error) => error);
    expect((refusal as Error).message).to.match(/already migrated and recorded in idc_knex_migrations/);
    expect((await knex(tableNames(prefix).connectors).select('name')).map((row) => row.name)).to.deep.equal(['kept']);
  });

  it("in the connector's own table: identityMigrationConfig() and identity.migrate() record the same names", async () => {
    const config = identityMigrationConfig();
    expect(config.tableName).to.equal('idc_knex_migrations');
    expect(identityMigrationConfig({ tablePrefix: 'p_' }).tableName).to.equal('p_knex_migrations');
    expect((await knex.migrate.latest(config))[1]).to.deep.equal(SHIPPED);
    expect(await migrateLatest(knex, prefix)).to.deep.equal([]);
    expect(await isMigrated(knex, prefix)).to.equal(true);
  });
});

describe('The shipped knexfile', () => {
  const saved = { DATABASE_URL: process.env.DATABASE_URL, INIT_CWD: process.env.INIT_CWD };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it("without DATABASE_URL opens the CLI's default database, in the folder the command runs in", async () => {
    delete process.env.DATABASE_URL;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-knexfile-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const config = await knexfile([]);
      expect(ENVIRONMENT_VARIABLES.DATABASE_URL.default).to.equal('sqlite:./data/app.sqlite');
      expect((config.connection as { filename: string }).filename).to.equal(
        path.join(fs.realpathSync(dir), 'data/app.sqlite'),
      );
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses `knex migrate:make`, which would write into the installed package', async () => {
    for (const command of ['migrate:make', 'seed:make']) {
      const refusal = await knexfile(['node', 'knex', '--knexfile', 'knexfile.js', command, 'x']).catch(
        (error: Error) => error,
      );
      expect((refusal as Error).message).to.equal(MAKE_REFUSAL);
    }
    expect(MAKE_REFUSAL).to.include('would write into node_modules/identity-connector/dist');
  });
});
