import { expect } from 'chai';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { connectKnex } from '../../lib/store/connect.js';
import { sqliteTransaction } from '../../lib/store/sqlite-transaction.js';
import { tempSqliteUrl } from '../support/databases.js';

/** lib/store/sqlite-transaction.ts: SQLite's store transactions on the connection itself. */
describe('SQLite transactions on the connection itself', () => {
  const url = tempSqliteUrl('sqlite-trx');
  let knex: Knex;
  /** A second connection to the same file: what another process sees. */
  let other: Database.Database;
  before(async () => {
    knex = connectKnex(url);
    await knex.raw('CREATE TABLE parents (id INTEGER PRIMARY KEY)');
    await knex.raw('CREATE TABLE items (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id), v TEXT)');
    other = new Database(url.slice('sqlite:'.length));
    other.pragma('busy_timeout = 0');
  });
  after(async () => {
    other.close();
    await knex.destroy();
  });
  const count = () => (other.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n;

  it("commits the work's builder and raw queries together; others see them only after COMMIT", async () => {
    const before = count();
    const seenInside = await sqliteTransaction(knex, async (trx) => {
      await trx('items').insert({ v: 'builder' });
      await trx.raw('INSERT INTO items (v) VALUES (?)', ['raw']);
      return count();
    });
    expect(seenInside).to.equal(before);
    expect(count()).to.equal(before + 2);
  });

  it('rolls back and rethrows when the work rejects, and the connection serves the next query', async () => {
    const before = count();
    const failure = new Error('refused by policy');
    let caught: unknown;
    try {
      await sqliteTransaction(knex, async (trx) => {
        await trx('items').insert({ v: 'gone' });
        throw failure;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.equal(failure);
    expect(count()).to.equal(before);
    expect((await knex('items').count({ n: '*' }))[0].n).to.equal(before);
  });

  it('a COMMIT that fails (a deferred foreign key) rolls back, throws, and leaves the connection usable', async () => {
    const before = count();
    let caught: unknown;
    try {
      await sqliteTransaction(knex, async (trx) => {
        await trx.raw('PRAGMA defer_foreign_keys = ON');
        await trx('items').insert({ parent: 999, v: 'orphan' });
      });
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.match(/FOREIGN KEY constraint failed/);
    expect(count()).to.equal(before);
    await sqliteTransaction(knex, (trx) => trx('items').insert({ v: 'after' }));
    expect(count()).to.equal(before + 1);
  });

  it('takes the write lock at BEGIN (IMMEDIATE): another connection cannot write while it is open', async () => {
    let otherWrite: unknown;
    await sqliteTransaction(knex, async (trx) => {
      await trx('items').select('id').limit(1);
      try {
        other.prepare('INSERT INTO items (v) VALUES (?)').run('other');
      } catch (error) {
        otherWrite = error;
      }
    });
    expect((otherWrite as { code?: string })?.code).to.equal('SQLITE_BUSY');
  });
});
