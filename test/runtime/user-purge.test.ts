import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import { createIdentityConnector } from '../../lib/index.js';
import { UserPurge, type PurgeTarget } from '../../lib/runtime/user-purge.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, LogCapture, SECRET_KEY, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

/** Polls `check` until it holds, failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A queue of `queued` users that answers batches, and can be made to fail or to hold a call. */
class FakeQueue implements PurgeTarget {
  calls = 0;
  failures = 0;
  hold?: Promise<void>;
  constructor(public queued = 0) {}
  async purgeDeleted(limit: number): Promise<number> {
    this.calls += 1;
    if (this.hold) await this.hold;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('database is down');
    }
    const n = Math.min(limit, this.queued);
    this.queued -= n;
    return n;
  }
}

describe('UserPurge (the schedule)', () => {
  const timing = { batch: 10, soonMs: 5, everyMs: 60_000 };

  it('runs at start and after a delete is announced, in batches until the queue is empty', async () => {
    const queue = new FakeQueue(25);
    const events = new IdentityEvents();
    const purge = new UserPurge(queue, new LogCapture().logger, timing);
    purge.start(events);
    await until(() => queue.queued === 0);
    expect(queue.calls).to.equal(3); // 10 + 10 + 5
    queue.queued = 4;
    events.emit('user.deleted', { id: 'x', connectorId: 'c' });
    events.emit('user.deleted', { id: 'y', connectorId: 'c' });
    await until(() => queue.queued === 0);
    expect(queue.calls).to.equal(4); // both deletes shared one run
    await purge.close();
  });

  it('logs a failure and retries at the next period, never throwing', async () => {
    const queue = new FakeQueue(3);
    queue.failures = 1;
    const logs = new LogCapture();
    const purge = new UserPurge(queue, logs.logger, { ...timing, everyMs: 20 });
    purge.start(new IdentityEvents());
    await until(() => queue.queued === 0);
    expect(queue.calls).to.equal(2);
    const warning = logs.lines.find((line) => line.includes('purging deleted users'));
    expect(JSON.parse(warning ?? '{}')).to.include({ level: 'warn', errorName: 'Error' });
    await purge.close();
  });

  it('waits quietly for the tables (a host migrating after creating the connector), then purges when asked', async () => {
    const queue = new FakeQueue(3);
    let migrated = false;
    let asked = 0;
    const target: PurgeTarget = {
      purgeDeleted: (limit) => queue.purgeDeleted(limit),
      migrated: async () => {
        asked += 1;
        return migrated;
      },
    };
    const logs = new LogCapture();
    const purge = new UserPurge(target, logs.logger, timing);
    purge.start(new IdentityEvents());
    await until(() => asked === 1);
    expect(queue.calls).to.equal(0);
    migrated = true;
    purge.soon(); // what identity.migrate() does once it has migrated
    await until(() => queue.queued === 0);
    purge.soon();
    await until(() => queue.calls === 2);
    expect(asked).to.equal(2); // asked until it said yes, not at every run
    expect(logs.text()).not.to.match(/"level":"(warn|error)"/);
    await purge.close();
  });

  it('close() waits for the run in progress, then nothing more is scheduled', async () => {
    const queue = new FakeQueue(3);
    let release!: () => void;
    queue.hold = new Promise((resolve) => (release = resolve));
    const events = new IdentityEvents();
    const purge = new UserPurge(queue, new LogCapture().logger, timing);
    purge.start(events);
    await until(() => queue.calls === 1);
    let closed = false;
    const closing = purge.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).to.equal(false);
    release();
    await closing;
    expect(purge.pending).to.equal(false);
    purge.soon();
    events.emit('user.deleted', { id: 'x', connectorId: 'c' });
    expect(purge.pending).to.equal(false);
  });
});

describeEachDatabase('The purge in the host’s process', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h?.close();
  });
  const queued = async () => (await h.knex(h.identity.store.tables.userPurges)).length;
  const rows = async (id: string) => {
    const t = h.identity.store.tables;
    return Promise.all(
      [t.userValues, t.userAddresses, t.userExtensions].map(
        async (table) => (await h.knex(table).where('user_id', id)).length,
      ),
    );
  };
  const withRows = (name: string) =>
    entraUser(name, {
      addresses: [{ type: 'work', locality: 'Redmond' }],
      'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName': { folders: ['Inbox'] },
    });

  it('purges the search rows of users deleted through SCIM without being asked', async () => {
    const ids: string[] = [];
    for (const name of ['p1@contoso.com', 'p2@contoso.com', 'p3@contoso.com'])
      ids.push((await h.scim.post('/Users', withRows(name))).body.id);
    for (const id of ids) expect((await h.scim.delete(`/Users/${id}`)).status).to.equal(204);
    await until(async () => (await queued()) === 0);
    for (const id of ids) expect(await rows(id)).to.deep.equal([0, 0, 0]);
  });

  it('a new instance purges what a crashed one left queued, at its start; close() stops it', async () => {
    const user = (await h.scim.post('/Users', withRows('crash@contoso.com'))).body;
    const t = h.identity.store.tables;
    // What a crash between commit and purge leaves: the user row gone, its rows and its queue row there
    // (written directly, so that no event reaches the running instance).
    await h.knex.transaction(async (trx) => {
      await trx(t.users).where('id', user.id).delete();
      await trx(t.userPurges).insert({ user_id: user.id, connector_id: h.connector.id, at: Date.now() });
    });
    expect((await rows(user.id)).every((n) => n > 0)).to.equal(true);
    const logs = new LogCapture();
    const second = await createIdentityConnector({
      knex: h.knex,
      baseUrl: 'http://127.0.0.1',
      mountPath: '/identity',
      secretKey: SECRET_KEY,
      tablePrefix: h.identity.store.tablePrefix,
      logger: logs.logger,
    });
    try {
      await until(async () => (await queued()) === 0);
      expect(await rows(user.id)).to.deep.equal([0, 0, 0]);
    } finally {
      await second.close();
    }
    expect(logs.text()).not.to.match(/"level":"(warn|error)"/);
  });
});
