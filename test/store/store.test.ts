import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore, isStoreError } from '../../lib/store/index.js';
import { migrationNames } from '../../lib/store/migrate.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';


describeEachDatabase('Identity store', (db) => {
  const knex = testKnex(db);
  const events = new IdentityEvents();
  const store = new IdentityStore(knex, uniquePrefix(), events);
  let connectorId: string;
  before(async () => {
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org', name: 'store-tests' })).id;
  });
  after(async () => { await store.rollbackAll(); await knex.destroy(); });

  const create = (userName: string, extra: Record<string, unknown> = {}) => store.users.create(connectorId, { document: { userName, ...extra }, loginMethod: 'builtin' });

  describe('userName uniqueness through the normalised key column', () => {
    it('ALICE@x.com and alice@x.com collide', async () => {
      await create('alice@x.com');
      let error: unknown;
      try { await create('ALICE@x.com'); } catch (e) { error = e; }
      expect(isStoreError(error, 'conflict')).to.equal(true);
    });
    it('josé@x.com and jose@x.com do not', async () => {
      await create('josé@x.com');
      await create('jose@x.com');
      expect((await store.users.findByUserName(connectorId, 'JOSÉ@x.com'))?.userName).to.equal('josé@x.com');
      expect((await store.users.findByUserName(connectorId, 'jose@X.com'))?.userName).to.equal('jose@x.com');
    });
    it('the same userName may exist in two connectors', async () => {
      const other = await store.connectors.create({ organizationId: 'org', name: 'second' });
      await store.users.create(other.id, { document: { userName: 'alice@x.com' }, loginMethod: 'builtin' });
    });
  });

  describe('multi-table writes are one transaction', () => {
    it('a failure inside store.transaction leaves no user, rows or membership behind', async () => {
      const before = await store.users.count(connectorId);
      let error: unknown;
      try {
        await store.transaction(async (tx) => {
          await tx.users.create(connectorId, { document: { userName: 'rolled@x.com', emails: [{ value: 'rolled@x.com', type: 'work' }], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'X' } }, loginMethod: 'builtin' });
          await tx.users.create(connectorId, { document: { userName: 'ROLLED@x.com' }, loginMethod: 'builtin' });
        });
      } catch (e) { error = e; }
      expect(isStoreError(error, 'conflict')).to.equal(true);
      expect(await store.users.count(connectorId)).to.equal(before);
      const t = store.tables;
      for (const table of [t.userValues, t.userExtensions]) {
        const row = await knex(table).where(`${table}.connector_id`, connectorId).join(t.users, `${t.users}.id`, `${table}.user_id`).where(`${t.users}.user_name`, 'rolled@x.com').first();
        expect(row).to.equal(undefined);
      }
    });
    it('events raised inside a transaction reach listeners only after it commits', async () => {
      const seen: string[] = [];
      const listener = (u: { userName: string }) => seen.push(u.userName);
      events.on('user.created', listener);
      try {
        await store.transaction(async (tx) => {
          await tx.users.create(connectorId, { document: { userName: 'evented@x.com' }, loginMethod: 'builtin' });
          expect(seen).to.deep.equal([]);
        });
        expect(seen).to.deep.equal(['evented@x.com']);
        try { await store.transaction(async (tx) => { await tx.users.create(connectorId, { document: { userName: 'never@x.com' }, loginMethod: 'builtin' }); throw new Error('abort'); }); } catch { /* expected */ }
        expect(seen).to.deep.equal(['evented@x.com']);
      } finally {
        events.off('user.created', listener);
      }
    });
  });

  describe('users as rows', () => {
    it('stores emails, phone numbers, addresses and extension values as rows', async () => {
      const user = await create('rows@x.com', {
        emails: [{ value: 'Rows@X.com', type: 'work', primary: true }, { value: 'home@x.com', type: 'home' }],
        phoneNumbers: [{ value: '+1', type: 'work' }],
        addresses: [{ type: 'work', locality: 'Springfield', country: 'US' }],
        'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName': { folders: ['A', 'B'] },
        'urn:ietf:params:scim:schemas:extension:2.0:Metadata': { costCode: '17' },
      });
      const t = store.tables;
      const values = await knex(t.userValues).where('user_id', user.id).orderBy(['attribute', 'position']);
      expect(values.map((v) => [v.attribute, v.value_key, v.type])).to.deep.equal([['emails', 'rows@x.com', 'work'], ['emails', 'home@x.com', 'home'], ['phoneNumbers', '+1', 'work']]);
      expect((await knex(t.userAddresses).where('user_id', user.id)).map((a) => a.locality)).to.deep.equal(['Springfield']);
      const ext = await knex(t.userExtensions).where('user_id', user.id).orderBy(['attr_path', 'position']);
      expect(ext.map((e) => `${e.attr_path}=${e.value}`)).to.deep.equal(['costCode=17', 'folders=A', 'folders=B']);
    });
    it('write rewrites the rows and bumps the version; a write over a stale read is refused', async () => {
      const user = await create('v@x.com', { emails: [{ value: 'old@x.com' }] });
      const updated = await store.users.write(user, { document: { userName: 'v@x.com', emails: [{ value: 'new@x.com' }] } });
      expect(updated.version).to.equal(2);
      const values = await knex(store.tables.userValues).where('user_id', user.id);
      expect(values.map((v) => v.value)).to.deep.equal(['new@x.com']);
      let error: unknown;
      try { await store.users.write(user, { document: { userName: 'v@x.com' } }); } catch (e) { error = e; }
      expect(isStoreError(error, 'version_mismatch')).to.equal(true);
    });
  });

  describe('migrations', () => {
    const SHIPPED = migrationNames();
    it('create every table with the configured prefix, and roll back cleanly', async () => {
      const prefix = uniquePrefix();
      const own = new IdentityStore(knex, prefix, new IdentityEvents());
      expect(await own.migrate()).to.deep.equal(SHIPPED);
      for (const table of Object.values(own.tables).filter((n) => !n.includes('knex_migrations'))) {
        expect(await knex.schema.hasTable(table), table).to.equal(true);
      }
      await own.rollbackAll();
      expect(await knex.schema.hasTable(own.tables.users)).to.equal(false);
      expect(await own.migrate()).to.deep.equal(SHIPPED);
      await own.rollbackAll();
    });
  });
});
