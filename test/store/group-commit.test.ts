import { expect } from 'chai';
import type { Knex } from 'knex';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore, isStoreError } from '../../lib/store/index.js';
import { connectKnex } from '../../lib/store/connect.js';
import { tempSqliteUrl, uniquePrefix } from '../support/databases.js';
import { countStatements } from '../support/statements.js';

/**
 * Group commit on SQLite (store/group-commit.ts): transactions that arrive while one runs share its
 * commit, each in its own SAVEPOINT. A second connection to the same file sees only what committed.
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

  it('runs 8 concurrent transactions in one commit, each in its own savepoint, and answers each after it', async () => {
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
    expect(kind(/^SAVEPOINT request/)).to.equal(8);
    expect(kind(/^RELEASE request/)).to.equal(8);
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
});
