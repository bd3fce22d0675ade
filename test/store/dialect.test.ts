import { expect } from 'chai';
import knexFactory from 'knex';
import { IdentityEvents } from '../../lib/model/events.js';
import { dialectOf, idiomsOf, isDataTooLong, isUniqueViolation } from '../../lib/store/dialect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { uniquePrefix } from '../support/databases.js';

describe('Store dialects: which database a Knex instance speaks, and its SQL idioms', () => {
  it('every client name Knex accepts for the installed drivers maps to its dialect', async () => {
    const names: Array<[string, string]> = [
      ['mysql2', 'mysql'],
      ['pg', 'postgres'],
      ['postgres', 'postgres'],
      ['postgresql', 'postgres'],
      ['better-sqlite3', 'sqlite'],
    ];
    for (const [client, dialect] of names) {
      const knex = knexFactory({
        client,
        connection: client === 'better-sqlite3' ? { filename: ':memory:' } : {},
        useNullAsDefault: true,
      });
      try {
        expect(dialectOf(knex), client).to.equal(dialect);
      } finally {
        await knex.destroy();
      }
    }
  });

  it("PostgreSQL locks only the outer join's driving table and counts without a locking clause; MariaDB locks both", () => {
    expect(idiomsOf('postgres').forUpdateOf('u')).to.equal(' FOR UPDATE OF u');
    expect(idiomsOf('mysql').forUpdateOf('u')).to.equal(' FOR UPDATE');
    expect(idiomsOf('sqlite').forUpdateOf('u')).to.equal('');
    expect([idiomsOf('postgres').countAfterLock, idiomsOf('mysql').countAfterLock]).to.deep.equal([
      '',
      ' LOCK IN SHARE MODE',
    ]);
  });

  it('unique violations and too-long values are recognised by code on every database', () => {
    for (const code of ['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_UNIQUE', '23505'])
      expect(isUniqueViolation({ code }), code).to.equal(true);
    for (const code of ['ER_DATA_TOO_LONG', '22001']) expect(isDataTooLong({ code }), code).to.equal(true);
    expect(isUniqueViolation({ code: '23503' })).to.equal(false);
  });

  it('a host\'s own Knex instance on pg (client "postgresql", a connection string) migrates and stores', async function () {
    if (!process.env.TEST_PG_URL) this.skip();
    const knex = knexFactory({ client: 'postgresql', connection: process.env.TEST_PG_URL });
    const store = new IdentityStore(knex, uniquePrefix(), new IdentityEvents());
    try {
      await store.migrate();
      const connector = await store.connectors.create({ organizationId: 'org', name: 'own-knex' });
      expect((await store.connectors.get(connector.id))?.name).to.equal('own-knex');
    } finally {
      await store.rollbackAll();
      await knex.destroy();
    }
  });
});
