import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore, isStoreError } from '../../lib/store/index.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';

/** migrations/20261208010000_partial_user_keys.ts: email_key and entra_object_id indexed only where set. */
describeEachDatabase('Users keys that are NULL until set are indexed only where set', (db) => {
  const knex = testKnex(db);
  const prefix = uniquePrefix();
  const store = new IdentityStore(knex, prefix, new IdentityEvents());
  const t = store.tables;
  let connectorId: string;
  before(async () => {
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org', name: 'partial-keys' })).id;
  });
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
  });

  const create = (userName: string, keys: { emailKey?: string; entraObjectId?: string } = {}) =>
    store.users.create(connectorId, { document: { userName }, loginMethod: 'builtin', ...keys });

  it('are partial indexes on SQLite and PostgreSQL (a user without them adds no entry); MariaDB keeps full ones', async () => {
    const definitions = await indexDefinitions();
    for (const name of [`${t.users}_email_uq`, `${t.users}_entra_object_ix`]) {
      if (db.name === 'mariadb') expect(definitions.get(name), name).to.equal('full');
      else expect(definitions.get(name), name).to.match(/WHERE \(?[`"]?(email_key|entra_object_id)[`"]? IS NOT NULL/i);
    }
  });

  it('two users with the same email key still collide; many without one do not', async () => {
    await create('one@x.com', { emailKey: 'same@x.com' });
    let error: unknown;
    try {
      await create('two@x.com', { emailKey: 'same@x.com' });
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error, 'conflict'), String(error)).to.equal(true);
    await create('three@x.com');
    await create('four@x.com');
  });

  it('the Entra object id lookup finds its users, and SQLite answers it from the partial index', async () => {
    const oid = '6d3b0f4e-2f0a-4d5e-9a55-0a1b2c3d4e5f';
    const user = await create('oid@x.com', { entraObjectId: oid });
    expect((await store.users.findByEntraObjectId(connectorId, oid)).map((u) => u.id)).to.deep.equal([user.id]);
    if (db.name !== 'sqlite') return;
    const plan = await knex.raw<Array<{ detail: string }>>(
      `EXPLAIN QUERY PLAN SELECT id FROM ${t.users} WHERE connector_id = ? AND entra_object_id = ?`,
      [connectorId, oid],
    );
    expect(plan.map((step) => step.detail).join('; ')).to.contain(`${t.users}_entra_object_ix`);
  });

  /** Index name → its WHERE clause (SQLite, PostgreSQL), or "full" (MariaDB, whose indexes have none). */
  async function indexDefinitions(): Promise<Map<string, string>> {
    if (db.name === 'sqlite') {
      const rows = await knex.raw<Array<{ name: string; sql: string | null }>>(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`,
        [t.users],
      );
      return new Map(rows.map((r) => [r.name, r.sql ?? '']));
    }
    if (db.name === 'postgres') {
      const { rows } = await knex.raw<{ rows: Array<{ indexname: string; indexdef: string }> }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ?`,
        [t.users],
      );
      return new Map(rows.map((r) => [r.indexname, r.indexdef]));
    }
    const [rows] = await knex.raw<[Array<{ Key_name: string }>]>(`SHOW INDEX FROM ??`, [t.users]);
    return new Map(rows.map((r) => [r.Key_name, 'full']));
  }
});
