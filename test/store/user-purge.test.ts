import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import { registryFor } from '../../lib/model/schemas/registry.js';
import { URN } from '../../lib/model/schemas/urns.js';
import type { ResourceDocument, StoredUser } from '../../lib/model/types.js';
import { parseFilter } from '../../lib/scim/filter/parse.js';
import { resolveFilter } from '../../lib/scim/filter/resolve.js';
import { IdentityStore } from '../../lib/store/index.js';
import { migrationConfig } from '../../lib/store/migrate.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';
import { BACKGROUND_STATEMENT, countStatements } from '../support/statements.js';

const FOLDERS = URN.customExtension;

describeEachDatabase('Deleted users’ search rows: the purge queue', (db) => {
  const knex = testKnex(db);
  const store = new IdentityStore(knex, uniquePrefix(), new IdentityEvents());
  const t = store.tables;
  let connectorId: string;
  before(async () => {
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org', name: 'purge-tests' })).id;
  });
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
  });
  // Each test starts from an empty queue: what another test left is purged first.
  beforeEach(async () => {
    while ((await store.users.purgeDeleted(500)) > 0);
  });

  let serial = 0;
  const document = (name: string): ResourceDocument => ({
    userName: name,
    emails: [{ value: name, type: 'work', primary: true }],
    addresses: [{ type: 'work', locality: 'Purgetown' }],
    [FOLDERS]: { folders: ['Inbox', `Box-${name}`] },
  });
  const create = (name = `u${(serial += 1)}@purge.test`) =>
    store.users.create(connectorId, { document: document(name), loginMethod: 'builtin' });
  /** The user's rows in values, addresses and extensions. */
  const childRows = async (id: string) =>
    Promise.all(
      [t.userValues, t.userAddresses, t.userExtensions].map(
        async (table) => (await knex(table).where('user_id', id)).length,
      ),
    );
  const queued = async () => (await knex(t.userPurges).select('user_id')).map((r) => String(r.user_id)).sort();
  const filter = async (text: string) =>
    (
      await store.users.list(connectorId, {
        filter: resolveFilter(parseFilter(text), registryFor('User')),
        count: 100,
      })
    ).items.map((u: StoredUser) => u.id);

  it('a delete leaves the search rows and queues the id; the user is gone at once', async () => {
    const user = await create();
    const rows = await childRows(user.id);
    expect(rows.every((n) => n > 0)).to.equal(true);
    await store.transaction(async (tx) => tx.users.remove((await tx.users.lock(connectorId, user.id))!));
    expect(await store.users.get(connectorId, user.id)).to.equal(undefined);
    expect(await childRows(user.id)).to.deep.equal(rows);
    expect(await queued()).to.deep.equal([user.id]);
  });

  it('delete() queues too, in the DELETE’s transaction, and answers false (queueing nothing) for a user that is not there', async () => {
    const user = await create();
    const counter = countStatements(knex);
    counter.start();
    expect(await store.users.delete(connectorId, user.id)).to.equal(true);
    const statements = counter.stop().filter((sql) => !BACKGROUND_STATEMENT.test(sql));
    expect(statements[0], statements.join('; ')).to.match(/^(BEGIN|START TRANSACTION)/i);
    expect(statements[statements.length - 1], statements.join('; ')).to.match(/^COMMIT/i);
    expect(await store.users.delete(connectorId, user.id)).to.equal(false);
    expect(await queued()).to.deep.equal([user.id]);
  });

  it('before the purge no filter or sign-in lookup finds the deleted user; the re-created one is found once', async () => {
    const name = 'again@purge.test';
    const first = await create(name);
    await store.users.delete(connectorId, first.id);
    const filters = [
      `emails eq "${name}"`,
      `emails[type eq "work" and value eq "${name}"]`,
      'emails co "again@"',
      'addresses.locality eq "Purgetown"',
      `addresses[locality eq "Purgetown"] and userName eq "${name}"`,
      `${FOLDERS}:folders eq "Box-${name}"`,
    ];
    for (const f of filters) expect(await filter(f), f).to.deep.equal([]);
    expect(await store.users.findByEmail(connectorId, name)).to.deep.equal([]);
    expect(await store.users.findAllByIdentifier(name)).to.deep.equal([]);

    // The unique userName key lives on users: the same userName and email may come back at once.
    const second = await create(name);
    expect(second.id).not.to.equal(first.id);
    for (const f of filters) expect(await filter(f), f).to.deep.equal([second.id]);
    expect((await store.users.findByEmail(connectorId, name)).map((u) => u.id)).to.deep.equal([second.id]);
    expect((await store.users.findAllByIdentifier(name)).map((u) => u.id)).to.deep.equal([second.id]);
    expect(await queued()).to.deep.equal([first.id]);
  });

  it("purgeDeleted removes the queued users' rows and queue rows, and nothing of a live user", async () => {
    const live = await create();
    const liveRows = await childRows(live.id);
    const gone = [await create(), await create(), await create()];
    for (const u of gone) await store.users.delete(connectorId, u.id);
    expect(await store.users.purgeDeleted(500)).to.equal(3);
    for (const u of gone) expect(await childRows(u.id)).to.deep.equal([0, 0, 0]);
    expect(await childRows(live.id)).to.deep.equal(liveRows);
    expect(await queued()).to.deep.equal([]);
    // Idempotent: nothing left to take.
    expect(await store.users.purgeDeleted(500)).to.equal(0);
  });

  it('takes at most `limit` users a call, and the rest on the next calls', async () => {
    const gone = [await create(), await create(), await create(), await create(), await create()];
    for (const u of gone) await store.users.delete(connectorId, u.id);
    expect([
      await store.users.purgeDeleted(2),
      await store.users.purgeDeleted(2),
      await store.users.purgeDeleted(2),
      await store.users.purgeDeleted(2),
    ]).to.deep.equal([2, 2, 1, 0]);
    for (const u of gone) expect(await childRows(u.id)).to.deep.equal([0, 0, 0]);
  });

  it("a queued id that names a live user loses its queue row, never the user's rows", async () => {
    const live = await create();
    const rows = await childRows(live.id);
    await knex(t.userPurges).insert({ user_id: live.id, connector_id: connectorId, at: Date.now() });
    expect(await store.users.purgeDeleted(500)).to.equal(1);
    expect(await childRows(live.id)).to.deep.equal(rows);
    expect(await queued()).to.deep.equal([]);
  });

  it('purges running at once take each user once and leave nothing', async () => {
    const gone = [];
    for (let i = 0; i < 12; i += 1) gone.push(await create());
    for (const u of gone) await store.users.delete(connectorId, u.id);
    const taken = await Promise.all([1, 2, 3].map(() => store.users.purgeDeleted(5)));
    let rest = 0;
    for (let n = 1; n > 0; rest += n) n = await store.users.purgeDeleted(5);
    expect(taken.reduce((a, b) => a + b, 0) + rest).to.equal(12);
    for (const u of gone) expect(await childRows(u.id)).to.deep.equal([0, 0, 0]);
  });

  it('deleting a connector queues its users, whose rows the purge then removes', async () => {
    const other = await store.connectors.create({ organizationId: 'org', name: 'leaving' });
    const users = [];
    for (const name of ['a@leaving.test', 'b@leaving.test'])
      users.push(await store.users.create(other.id, { document: document(name), loginMethod: 'builtin' }));
    const live = await create();
    const liveRows = await childRows(live.id);
    expect(await store.connectors.delete(other.id)).to.equal(true);
    expect(await queued()).to.deep.equal(users.map((u) => u.id).sort());
    expect(await store.users.purgeDeleted(500)).to.equal(2);
    for (const u of users) expect(await childRows(u.id)).to.deep.equal([0, 0, 0]);
    expect(await childRows(live.id)).to.deep.equal(liveRows);
  });
});

describeEachDatabase('The purge queue migration down with deleted users not purged yet', (db) => {
  const knex = testKnex(db);
  const store = new IdentityStore(knex, uniquePrefix(), new IdentityEvents());
  const t = store.tables;
  before(() => store.migrate());
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
  });

  it("removes the deleted users' rows, keeps the live ones', and restores the cascade", async () => {
    const connectorId = (await store.connectors.create({ organizationId: 'org', name: 'down' })).id;
    const doc = (name: string) => ({
      userName: name,
      emails: [{ value: name, type: 'work' }],
      addresses: [{ locality: 'Downtown' }],
      [FOLDERS]: { folders: ['Inbox'] },
    });
    const live = await store.users.create(connectorId, { document: doc('live@down.test'), loginMethod: 'builtin' });
    const gone = await store.users.create(connectorId, { document: doc('gone@down.test'), loginMethod: 'builtin' });
    await store.users.delete(connectorId, gone.id);
    const rows = async (id: string) =>
      Promise.all(
        [t.userValues, t.userAddresses, t.userExtensions].map(
          async (table) => (await knex(table).where('user_id', id)).length,
        ),
      );
    const liveRows = await rows(live.id);
    const config = migrationConfig(store.tablePrefix);
    // Down one step at a time to the purge queue's migration (later ones first).
    let undone: string[] = [];
    for (let step = 0; step < 10 && !undone.includes('20261207130000_user_purges'); step++)
      [, undone] = (await knex.migrate.down(config)) as [number, string[]];
    expect(undone).to.deep.equal(['20261207130000_user_purges']);
    expect(await knex.schema.hasTable(t.userPurges)).to.equal(false);
    expect(await rows(gone.id)).to.deep.equal([0, 0, 0]);
    expect(await rows(live.id)).to.deep.equal(liveRows);
    // The foreign keys are back: deleting the user row takes its rows with it.
    await knex(t.users).where('id', live.id).delete();
    expect(await rows(live.id)).to.deep.equal([0, 0, 0]);
    await store.migrate();
    expect(await knex.schema.hasTable(t.userPurges)).to.equal(true);
  });
});
