import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import knexfile from '../../knexfile.js';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore } from '../../lib/store/index.js';
import { isMigrated, migrationNames } from '../../lib/store/migrate.js';
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

describe('The shipped knexfile', () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('needs DATABASE_URL rather than creating a database somewhere', async () => {
    delete process.env.DATABASE_URL;
    let error: Error | undefined;
    try {
      await knexfile();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/set DATABASE_URL/);
  });
});
