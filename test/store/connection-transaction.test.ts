import { expect } from 'chai';
import type { Knex } from 'knex';
import { connectKnex } from '../../lib/store/connect.js';
import { connectionTransaction } from '../../lib/store/connection-transaction.js';
import { dialectOf } from '../../lib/store/dialect.js';
import { sharedTestDatabases, uniquePrefix } from '../support/databases.js';

/** lib/store/connection-transaction.ts: store transactions on one pooled connection, without Knex's machinery. */
for (const db of sharedTestDatabases('connection-trx'))
  describe(`Store transactions on the connection itself [${db.name}]`, () => {
    let knex: Knex;
    /** Another pool on the same database: what another process sees. */
    let other: Knex;
    const parents = `${uniquePrefix()}parents`;
    const items = `${uniquePrefix()}items`;
    const transaction = <T>(work: (trx: Knex.Transaction) => Promise<T>) =>
      connectionTransaction(knex, dialectOf(knex), work);
    before(async () => {
      knex = connectKnex(db.url);
      other = connectKnex(db.url);
      await knex.schema.createTable(parents, (t) => t.integer('id').primary());
      await knex.schema.createTable(items, (t) => {
        t.increments('id');
        // SQLite checks it at COMMIT once the work sets PRAGMA defer_foreign_keys.
        if (db.name === 'sqlite') t.integer('parent').nullable().references('id').inTable(parents);
        else t.integer('parent').nullable();
        t.string('v', 32);
      });
      // A foreign key that checks only at COMMIT, where the database has such keys.
      if (db.name === 'postgres')
        await knex.raw(`ALTER TABLE ?? ADD FOREIGN KEY (parent) REFERENCES ?? (id) DEFERRABLE INITIALLY DEFERRED`, [
          items,
          parents,
        ]);
    });
    after(async () => {
      await knex.schema.dropTable(items);
      await knex.schema.dropTable(parents);
      await other.destroy();
      await knex.destroy();
    });
    const count = async () => Number((await other(items).count({ n: '*' }))[0].n);

    it("commits the work's builder and raw queries together; others see them only after COMMIT", async () => {
      const before = await count();
      const seenInside = await transaction(async (trx) => {
        await trx(items).insert({ v: 'builder' });
        await trx.raw(`INSERT INTO ${items} (v) VALUES (?)`, ['raw']);
        return count();
      });
      expect(seenInside).to.equal(before);
      expect(await count()).to.equal(before + 2);
    });

    it('rolls back and rethrows when the work rejects, and the pool serves the next query', async () => {
      const before = await count();
      const failure = new Error('refused by policy');
      const caught = await transaction(async (trx) => {
        await trx(items).insert({ v: 'gone' });
        throw failure;
      }).catch((error: unknown) => error);
      expect(caught).to.equal(failure);
      expect(await count()).to.equal(before);
      expect(Number((await knex(items).count({ n: '*' }))[0].n)).to.equal(before);
    });

    if (db.name !== 'mariadb')
      it('a COMMIT that fails (a deferred foreign key) rolls back, throws, and leaves the pool usable', async () => {
        const before = await count();
        const caught = await transaction(async (trx) => {
          if (db.name === 'sqlite') await trx.raw('PRAGMA defer_foreign_keys = ON');
          await trx(items).insert({ parent: 999, v: 'orphan' });
        }).catch((error: unknown) => error);
        expect(String(caught)).to.match(/foreign key/i);
        expect(await count()).to.equal(before);
        await transaction((trx) => trx(items).insert({ v: 'after' }));
        expect(await count()).to.equal(before + 1);
      });

    if (db.name === 'sqlite')
      it('takes the write lock at BEGIN (IMMEDIATE): another connection cannot write while it is open', async () => {
        await other.raw('PRAGMA busy_timeout = 0');
        const otherWrite = await transaction(async (trx) => {
          await trx(items).select('id').limit(1);
          return other.raw(`INSERT INTO ${items} (v) VALUES (?)`, ['other']).catch((error: unknown) => error);
        });
        expect((otherWrite as { code?: string })?.code).to.equal('SQLITE_BUSY');
        await other.raw('PRAGMA busy_timeout = 5000');
      });

    if (db.name !== 'sqlite')
      it('a connection killed mid-transaction fails with its own error, not the ROLLBACK’s; the next transaction works', async () => {
        const before = await count();
        const caught = await transaction(async (trx) => {
          await trx(items).insert({ v: 'lost' });
          if (db.name === 'mariadb') {
            const [[{ id }]] = await trx.raw<[[{ id: number }]]>('SELECT CONNECTION_ID() AS id');
            await other.raw(`KILL ${Number(id)}`);
          } else {
            const { rows } = await trx.raw<{ rows: [{ pid: number }] }>('SELECT pg_backend_pid() AS pid');
            await other.raw('SELECT pg_terminate_backend(?)', [rows[0].pid]);
          }
          await trx(items).insert({ v: 'after the kill' });
        }).catch((error: unknown) => error);
        expect(caught).to.be.instanceOf(Error);
        expect(String(caught)).to.not.match(/ROLLBACK/i);
        expect(await count()).to.equal(before);
        await transaction((trx) => trx(items).insert({ v: 'next' }));
        expect(await count()).to.equal(before + 1);
      });
  });
