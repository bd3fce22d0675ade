import { expect } from 'chai';
import type { Knex } from 'knex';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore, isStoreError } from '../../lib/store/index.js';
import { connectKnex } from '../../lib/store/connect.js';
import { tempSqliteUrl, uniquePrefix } from '../support/databases.js';
import { BACKGROUND_STATEMENT, countStatements } from '../support/statements.js';

/**
 * Group commit on SQLite (store/group-commit.ts): transactions that arrive while one runs share its
 * commit, each after the first in its own SAVEPOINT. A second connection to the same file sees only
 * what committed.
 */
describe('Group commit on SQLite', () => {
  const url = tempSqliteUrl('group-commit');
  let knex: Knex;
  let reader: Knex;
  let store: IdentityStore;
  const events = new IdentityEvents();
  let connectorId: string;
  before(async () => {
    knex = connectKnex(url);
    reader = connectKnex(url);
    store = new IdentityStore(knex, uniquePrefix(), events, undefined, undefined, true);
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org', name: 'group-commit' })).id;
  });
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
    await reader.destroy();
  });

  /** Whether another connection sees the user: only a committed row is seen there. */
  const committed = async (userName: string) =>
    Boolean(await reader(store.tables.users).where({ connector_id: connectorId, user_name: userName }).first());

  const createIn = (tx: IdentityStore, userName: string) =>
    tx.users.create(connectorId, { document: { userName }, loginMethod: 'builtin' });

  it('runs 8 concurrent transactions in one commit, each after the first in its own savepoint, and answers each after it', async () => {
    const counter = countStatements(knex);
    counter.start();
    const seenAtAnswer: boolean[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        await store.transaction((tx) => createIn(tx, `batch-${i}@x.fi`));
        seenAtAnswer[i] = await committed(`batch-${i}@x.fi`);
      }),
    );
    const log = counter.stop();
    const kind = (re: RegExp) => log.filter((sql) => re.test(sql)).length;
    expect(kind(/^BEGIN/i)).to.equal(1);
    expect(kind(/^COMMIT/i)).to.equal(1);
    expect(kind(/^SAVEPOINT request/)).to.equal(7);
    expect(kind(/^RELEASE request/)).to.equal(7);
    expect(seenAtAnswer).to.deep.equal(Array<boolean>(8).fill(true));
  });

  it("a failing request rolls back only its own work and gets its own error; its events are dropped, the others' raised after commit", async () => {
    const raised: string[] = [];
    const onCreated = (user: { userName: string }) => raised.push(user.userName);
    events.on('user.created', onCreated);
    try {
      await createIn(store, 'taken@x.fi');
      raised.length = 0;
      const outcomes = await Promise.allSettled([
        store.transaction((tx) => createIn(tx, 'first@x.fi')),
        store.transaction(async (tx) => {
          await createIn(tx, 'half-done@x.fi');
          throw new Error('the request failed after a write');
        }),
        // A unique violation: SQLite fails the statement, not the transaction.
        store.transaction((tx) => createIn(tx, 'TAKEN@x.fi')),
        store.transaction((tx) => createIn(tx, 'last@x.fi')),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason.message).to.equal('the request failed after a write');
      expect(isStoreError((outcomes[2] as PromiseRejectedResult).reason, 'conflict')).to.equal(true);
      expect(await committed('first@x.fi')).to.equal(true);
      expect(await committed('last@x.fi')).to.equal(true);
      expect(await committed('half-done@x.fi')).to.equal(false);
      expect(raised.sort()).to.deep.equal(['first@x.fi', 'last@x.fi']);
    } finally {
      events.off('user.created', onCreated);
    }
  });

  it('a transaction alone still commits on its own, and nested store transactions join it', async () => {
    const counter = countStatements(knex);
    counter.start();
    await store.transaction(async (tx) => {
      await createIn(tx, 'alone@x.fi');
      await tx.transaction((same) => createIn(same, 'nested@x.fi'));
    });
    const log = counter.stop();
    expect(log.filter((sql) => /^COMMIT/i.test(sql))).to.have.length(1);
    expect(await committed('alone@x.fi')).to.equal(true);
    expect(await committed('nested@x.fi')).to.equal(true);
  });
  it('a failed COMMIT rejects every caller of the batch, stores none of it, raises none of its events and frees the connection', async () => {
    // A foreign key checked only at COMMIT (DEFERRABLE INITIALLY DEFERRED), broken by a trigger on
    // one user's insert: every statement succeeds, SQLite's COMMIT fails with its constraint error.
    const parent = `${store.tablePrefix}gc_parent`;
    const child = `${store.tablePrefix}gc_child`;
    const trigger = `${store.tablePrefix}gc_break_commit`;
    await knex.raw(`CREATE TABLE ${parent} (id INTEGER PRIMARY KEY)`);
    await knex.raw(`CREATE TABLE ${child} (parent INTEGER REFERENCES ${parent}(id) DEFERRABLE INITIALLY DEFERRED)`);
    await knex.raw(
      `CREATE TRIGGER ${trigger} AFTER INSERT ON ${store.tables.users} WHEN NEW.user_name = 'breaks-commit@x.fi' ` +
        `BEGIN INSERT INTO ${child} (parent) VALUES (404); END`,
    );
    const raised: string[] = [];
    const onCreated = (user: { userName: string }) => raised.push(user.userName);
    events.on('user.created', onCreated);
    try {
      const outcomes = await Promise.allSettled([
        store.transaction((tx) => createIn(tx, 'before-broken-commit@x.fi')),
        store.transaction((tx) => createIn(tx, 'breaks-commit@x.fi')),
        store.transaction((tx) => createIn(tx, 'after-broken-commit@x.fi')),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
      for (const o of outcomes) expect(String((o as PromiseRejectedResult).reason)).to.match(/FOREIGN KEY/);
      expect(raised).to.deep.equal([]);
      for (const userName of ['before-broken-commit@x.fi', 'breaks-commit@x.fi', 'after-broken-commit@x.fi'])
        expect(await committed(userName)).to.equal(false);
      // The failed COMMIT left SQLite's transaction open; the batch rolled it back before handing
      // the connection on, so the next write is a transaction of its own and commits.
      await store.transaction((tx) => createIn(tx, 'after-the-failure@x.fi'));
      expect(await committed('after-the-failure@x.fi')).to.equal(true);
      expect(raised).to.deep.equal(['after-the-failure@x.fi']);
    } finally {
      events.off('user.created', onCreated);
      await knex.raw(`DROP TRIGGER ${trigger}`);
      await knex.raw(`DROP TABLE ${child}`);
      await knex.raw(`DROP TABLE ${parent}`);
    }
  });

  it('a batch that cannot take the write lock rejects its callers instead of trying again forever', async function () {
    this.timeout(30_000);
    // Another connection to the file (the CLI, say) holds the write lock past busy_timeout (5 s).
    const holder = await (
      reader.client as { acquireConnection(): Promise<{ prepare(sql: string): { run(): void } }> }
    ).acquireConnection();
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const outcomes = await Promise.allSettled([
        store.transaction((tx) => createIn(tx, 'locked-out-1@x.fi')),
        store.transaction((tx) => createIn(tx, 'locked-out-2@x.fi')),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason.code).to.equal('SQLITE_BUSY');
    } finally {
      holder.prepare('ROLLBACK').run();
      await (reader.client as { releaseConnection(conn: unknown): Promise<unknown> }).releaseConnection(holder);
    }
    await store.transaction((tx) => createIn(tx, 'after-the-lock@x.fi'));
    expect(await committed('after-the-lock@x.fi')).to.equal(true);
  });

  it('alone, a write is BEGIN, its statements and COMMIT: no SAVEPOINT, nothing more than with group commit off', async () => {
    const off = new IdentityStore(knex, store.tablePrefix, events);
    const alone = new IdentityStore(knex, store.tablePrefix, events, undefined, undefined, true);
    const statementsOf = async (s: IdentityStore, userName: string) => {
      await s.transaction((tx) => createIn(tx, `warm-${userName}`));
      const counter = countStatements(knex);
      counter.start();
      await s.transaction((tx) => createIn(tx, userName));
      return counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql));
    };
    const withoutGroupCommit = await statementsOf(off, 'off@x.fi');
    const withGroupCommit = await statementsOf(alone, 'on@x.fi');
    expect(withGroupCommit[0]).to.equal('BEGIN IMMEDIATE');
    expect(withGroupCommit.at(-1)).to.match(/^COMMIT/i);
    expect(withGroupCommit.filter((sql) => /SAVEPOINT|RELEASE|^DELETE/i.test(sql))).to.deep.equal([]);
    expect(withGroupCommit.slice(1)).to.deep.equal(withoutGroupCommit.slice(1));
  });

  it('a lone write is not delayed by an event-loop turn, and a read right after it waits for nothing', async () => {
    const alone = new IdentityStore(knex, store.tablePrefix, events, undefined, undefined, true);
    const pool = (knex.client as { pool: { numUsed(): number; numPendingAcquires(): number } }).pool;
    for (let i = 0; i < 40; i++) {
      let turned = false;
      setImmediate(() => (turned = true));
      const user = await alone.transaction((tx) => createIn(tx, `lone-${i}@x.fi`));
      expect(turned, `write ${i} waited for an event-loop turn`).to.equal(false);
      expect(pool.numUsed() + pool.numPendingAcquires()).to.equal(0);
      expect((await alone.users.get(connectorId, user.id))?.userName).to.equal(`lone-${i}@x.fi`);
      expect(turned, `the read after write ${i} waited for an event-loop turn`).to.equal(false);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});
