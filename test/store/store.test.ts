import { expect } from 'chai';
import { IdentityEvents } from '../../lib/model/events.js';
import { IdentityStore, isStoreError } from '../../lib/store/index.js';
import { migrationNames } from '../../lib/store/migrate.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';
import { randomUUID } from 'node:crypto';
import { extensionRowsMultiValuedMigration } from '../../migrations/20261201060000_extension_rows_multivalued.js';
import { deprovisioningsMigration } from '../../migrations/20261201061000_deprovisionings.js';
import { URN } from '../../lib/model/schemas/urns.js';
import { registryFor } from '../../lib/model/schemas/registry.js';
import { parseFilter } from '../../lib/scim/filter/parse.js';
import { resolveFilter } from '../../lib/scim/filter/resolve.js';

const ENTERPRISE = URN.enterprise;
const METADATA = URN.metadata;
const FOLDERS = URN.customExtension;

describeEachDatabase('Identity store', (db) => {
  const knex = testKnex(db);
  const events = new IdentityEvents();
  const store = new IdentityStore(knex, uniquePrefix(), events);
  let connectorId: string;
  before(async () => {
    await store.migrate();
    connectorId = (await store.connectors.create({ organizationId: 'org', name: 'store-tests' })).id;
  });
  after(async () => {
    await store.rollbackAll();
    await knex.destroy();
  });

  const create = (userName: string, extra: Record<string, unknown> = {}) =>
    store.users.create(connectorId, { document: { userName, ...extra }, loginMethod: 'builtin' });

  describe('userName uniqueness through the normalised key column', () => {
    it('ALICE@x.com and alice@x.com collide', async () => {
      await create('alice@x.com');
      let error: unknown;
      try {
        await create('ALICE@x.com');
      } catch (e) {
        error = e;
      }
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
      const second = await store.users.create(other.id, {
        document: { userName: 'alice@x.com' },
        loginMethod: 'builtin',
      });
      const first = await store.users.findByUserName(connectorId, 'alice@x.com');
      expect(first?.connectorId).to.equal(connectorId);
      expect((await store.users.findByUserName(other.id, 'ALICE@x.com'))?.id).to.equal(second.id);
      expect(second.id).to.not.equal(first?.id);
    });
  });

  describe('multi-table writes are one transaction', () => {
    it('a failure inside store.transaction leaves no user, rows or membership behind', async () => {
      const before = await store.users.count(connectorId);
      let error: unknown;
      try {
        await store.transaction(async (tx) => {
          await tx.users.create(connectorId, {
            document: {
              userName: 'rolled@x.com',
              emails: [{ value: 'rolled@x.com', type: 'work' }],
              'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'X' },
            },
            loginMethod: 'builtin',
          });
          await tx.users.create(connectorId, { document: { userName: 'ROLLED@x.com' }, loginMethod: 'builtin' });
        });
      } catch (e) {
        error = e;
      }
      expect(isStoreError(error, 'conflict')).to.equal(true);
      expect(await store.users.count(connectorId)).to.equal(before);
      const t = store.tables;
      for (const table of [t.userValues, t.userExtensions]) {
        const row = await knex(table)
          .where(`${table}.connector_id`, connectorId)
          .join(t.users, `${t.users}.id`, `${table}.user_id`)
          .where(`${t.users}.user_name`, 'rolled@x.com')
          .first();
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
        try {
          await store.transaction(async (tx) => {
            await tx.users.create(connectorId, { document: { userName: 'never@x.com' }, loginMethod: 'builtin' });
            throw new Error('abort');
          });
        } catch {
          /* expected */
        }
        expect(seen).to.deep.equal(['evented@x.com']);
      } finally {
        events.off('user.created', listener);
      }
    });
  });

  describe('users as rows', () => {
    it('stores emails, phone numbers, addresses and extension values as rows', async () => {
      const user = await create('rows@x.com', {
        emails: [
          { value: 'Rows@X.com', type: 'work', primary: true },
          { value: 'home@x.com', type: 'home' },
        ],
        phoneNumbers: [{ value: '+1', type: 'work' }],
        addresses: [{ type: 'work', locality: 'Springfield', country: 'US' }],
        'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName': { folders: ['A', 'B'] },
        'urn:ietf:params:scim:schemas:extension:2.0:Metadata': { costCode: '17' },
      });
      const t = store.tables;
      const values = await knex(t.userValues).where('user_id', user.id).orderBy(['attribute', 'position']);
      expect(values.map((v) => [v.attribute, v.value_key, v.type])).to.deep.equal([
        ['emails', 'rows@x.com', 'work'],
        ['emails', 'home@x.com', 'home'],
        ['phoneNumbers', '+1', 'work'],
      ]);
      expect((await knex(t.userAddresses).where('user_id', user.id)).map((a) => a.locality)).to.deep.equal([
        'Springfield',
      ]);
      // Only the multi-valued extension attribute has rows; Metadata's costCode is read from the document.
      const ext = await knex(t.userExtensions).where('user_id', user.id).orderBy(['attr_path', 'position']);
      expect(ext.map((e) => `${e.attr_path}=${e.value}`)).to.deep.equal(['folders=A', 'folders=B']);
    });
    it('finds users by single-valued extension attributes from the document, by multi-valued ones from rows', async () => {
      const user = await create('ext@x.com', {
        [ENTERPRISE]: { department: 'Forensics', employeeNumber: '4711', manager: { value: 'boss-1' } },
        [METADATA]: { costCode: 'CC-9' },
        [FOLDERS]: { folders: ['Alpha', 'Beta'] },
      });
      await create('other-ext@x.com', { [ENTERPRISE]: { department: 'Sales' } });
      const found = async (filter: string) =>
        (
          await store.users.list(connectorId, {
            filter: resolveFilter(parseFilter(filter), registryFor('User')),
            count: 10,
          })
        ).items.map((u) => u.userName);
      expect(await found(`${ENTERPRISE}:department eq "FORENSICS"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`${ENTERPRISE}:employeeNumber sw "47"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`${ENTERPRISE}:manager eq "BOSS-1"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`${ENTERPRISE}:manager pr and userName sw "ext"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`${METADATA}:costCode eq "cc-9"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`${FOLDERS}:folders eq "beta"`)).to.deep.equal(['ext@x.com']);
      expect(await found(`not (${ENTERPRISE}:department eq "sales") and userName sw "ext"`)).to.deep.equal([
        'ext@x.com',
      ]);
      expect((await knex(store.tables.userExtensions).where('user_id', user.id)).length).to.equal(2);
    });
    it('write rewrites the rows and bumps the version; a write over a stale read is refused', async () => {
      const user = await create('v@x.com', { emails: [{ value: 'old@x.com' }] });
      const updated = await store.users.write(user, {
        document: { userName: 'v@x.com', emails: [{ value: 'new@x.com' }] },
      });
      expect(updated.version).to.equal(2);
      const values = await knex(store.tables.userValues).where('user_id', user.id);
      expect(values.map((v) => v.value)).to.deep.equal(['new@x.com']);
      let error: unknown;
      try {
        await store.users.write(user, { document: { userName: 'v@x.com' } });
      } catch (e) {
        error = e;
      }
      expect(isStoreError(error, 'version_mismatch')).to.equal(true);
    });
    it('write leaves the child rows that did not change where they are, and rewrites those that did', async () => {
      const doc = {
        userName: 'keep@x.com',
        displayName: 'Keep',
        emails: [{ value: 'keep@x.com', type: 'work' }],
        addresses: [{ type: 'work', locality: 'Oslo' }],
        [FOLDERS]: { folders: ['A'] },
      };
      const user = await create('keep@x.com', doc);
      const t = store.tables;
      const rowIds = async () =>
        Promise.all(
          [t.userValues, t.userAddresses, t.userExtensions].map(async (table) =>
            (await knex(table).where('user_id', user.id).orderBy('id')).map((r) => Number(r.id)),
          ),
        );
      const before = await rowIds();
      const renamed = await store.users.write(user, {
        document: { ...doc, displayName: 'Kept', [ENTERPRISE]: { department: 'New' } },
      });
      expect(await rowIds()).to.deep.equal(before);
      await store.users.write(renamed, { document: { ...doc, emails: [{ value: 'moved@x.com', type: 'work' }] } });
      const after = await rowIds();
      expect(after[0]).to.have.length(1);
      expect(after[0][0]).to.be.greaterThan(before[0][0]);
      expect(after.slice(1)).to.deep.equal(before.slice(1));
      expect((await knex(t.userValues).where('user_id', user.id)).map((v) => v.value)).to.deep.equal(['moved@x.com']);
    });
    it('index pages in the back half, read from the far end, equal the same slice of the whole list in every order', async () => {
      const own = (await store.connectors.create({ organizationId: 'org', name: 'paging-from-the-end' })).id;
      for (const name of ['e', 'b', 'g', 'a', 'f', 'c', 'd'])
        await store.users.create(own, { document: { userName: `${name}@x.com` }, loginMethod: 'builtin' });
      const userName = resolveFilter(parseFilter('userName pr'), registryFor('User'));
      const sortBy = (userName as { path: { resolved: NonNullable<unknown> } }).path.resolved as never;
      for (const order of [
        {},
        { sortBy, sortOrder: 'descending' as const },
        { sortBy, sortOrder: 'ascending' as const },
      ]) {
        const whole = (await store.users.list(own, { count: 100, ...order })).items.map((u) => u.userName);
        expect(whole).to.have.length(7);
        for (let startIndex = 1; startIndex <= 9; startIndex++) {
          const page = await store.users.list(own, { count: 3, startIndex, ...order });
          expect(
            page.items.map((u) => u.userName),
            `startIndex ${startIndex} ${JSON.stringify(order.sortOrder)}`,
          ).to.deep.equal(whole.slice(startIndex - 1, startIndex + 2));
          expect(page.totalResults).to.equal(7);
        }
      }
    });
    it("countUpTo counts the connector's users up to the cap", async () => {
      const all = await store.users.count(connectorId);
      expect(all).to.be.above(3);
      expect(await store.users.countUpTo(connectorId, 3)).to.equal(3);
      expect(await store.users.countUpTo(connectorId, all + 10)).to.equal(all);
    });
    it('remove deletes the user with its rows and memberships at the version read, and refuses a stale read', async () => {
      const user = await create('gone@x.com', { emails: [{ value: 'gone@x.com' }], [FOLDERS]: { folders: ['A'] } });
      await store.groups.create(connectorId, { displayName: 'removal' }, [{ value: user.id }]);
      const changed = await store.users.write(user, {
        document: {
          userName: 'gone@x.com',
          emails: [{ value: 'gone@x.com' }],
          [FOLDERS]: { folders: ['A'] },
          displayName: 'Gone',
        },
      });
      let error: unknown;
      try {
        await store.users.remove(user);
      } catch (e) {
        error = e;
      }
      expect(isStoreError(error, 'version_mismatch')).to.equal(true);
      expect(await store.users.get(connectorId, user.id)).not.to.equal(undefined);
      await store.users.remove(changed);
      expect(await store.users.get(connectorId, user.id)).to.equal(undefined);
      const t = store.tables;
      expect(await knex(t.groupMembers).where('user_id', user.id)).to.deep.equal([]);
      // The search rows wait for the purge (test/store/user-purge.test.ts).
      expect((await knex(t.userPurges).where('user_id', user.id)).length).to.equal(1);
    });
  });

  describe('migrations', () => {
    const SHIPPED = migrationNames();
    it('create every table with the configured prefix, and roll back cleanly', async () => {
      const prefix = uniquePrefix();
      const own = new IdentityStore(knex, prefix, new IdentityEvents());
      expect(await own.migrate()).to.deep.equal(SHIPPED);
      // Bookkeeping tables aside: Knex's two, and the migration lease made on Galera nodes only.
      for (const table of Object.values(own.tables).filter(
        (n) => !n.includes('knex_migrations') && !n.endsWith('migration_lease'),
      )) {
        expect(await knex.schema.hasTable(table), table).to.equal(true);
      }
      await own.rollbackAll();
      expect(await knex.schema.hasTable(own.tables.users)).to.equal(false);
      expect(await own.migrate()).to.deep.equal(SHIPPED);
      await own.rollbackAll();
    });
    it('the extension-rows migration keeps rows for multi-valued extension attributes only, and runs again to the same rows', async () => {
      const user = await create('migrated@x.com', {
        [METADATA]: { costCode: '17' },
        [FOLDERS]: { folders: ['A', 'B'] },
      });
      const t = store.tables;
      // Rows as the projection before the migration wrote them: one per attribute value.
      await knex(t.userExtensions).insert({
        user_id: user.id,
        connector_id: connectorId,
        schema_urn: METADATA,
        attr_path: 'costCode',
        position: 0,
        value: '17',
        value_key: '17',
      });
      const rows = async () =>
        (await knex(t.userExtensions).where('user_id', user.id).orderBy(['attr_path', 'position'])).map(
          (e) => `${e.attr_path}=${e.value}`,
        );
      expect(await rows()).to.deep.equal(['costCode=17', 'folders=A', 'folders=B']);
      const migration = extensionRowsMultiValuedMigration(prefixOf(store));
      await knex.transaction((trx) => migration.up(trx));
      expect(await rows()).to.deep.equal(['folders=A', 'folders=B']);
      await knex.transaction((trx) => migration.up(trx));
      expect(await rows()).to.deep.equal(['folders=A', 'folders=B']);
    });
    it("the deprovisionings migration copies the window's deletions and deactivations from the log, once", async () => {
      const t = store.tables;
      const at = Date.now() - 60_000;
      const row = (operation: string, resourceId: string, detail: unknown) => ({
        connector_id: connectorId,
        at,
        actor: 'test',
        operation,
        resource_type: 'User',
        resource_id: resourceId,
        outcome: 'success',
        detail: JSON.stringify(detail),
      });
      const [deleted, deactivated, renamed] = [randomUUID(), randomUUID(), randomUUID()];
      await knex(t.auditEvents).insert([
        row('user.delete', deleted, { userName: 'a@x.com' }),
        row('user.update', deactivated, { changed: ['active'], values: { active: { from: true, to: false } } }),
        row('user.update', renamed, { changed: ['displayName'] }),
        { ...row('user.delete', randomUUID(), {}), at: Date.now() - 8 * 24 * 3_600_000 }, // older than the longest window
      ]);
      const migration = deprovisioningsMigration(prefixOf(store));
      const copied = async () =>
        (
          await knex(t.deprovisionings)
            .where('connector_id', connectorId)
            .whereIn('user_id', [deleted, deactivated, renamed])
            .orderBy('user_id')
        ).map((r) => r.user_id);
      await knex.transaction((trx) => migration.up(trx));
      expect(await copied()).to.deep.equal([deleted, deactivated].sort());
      await knex.transaction((trx) => migration.up(trx));
      expect(await copied()).to.deep.equal([deleted, deactivated].sort());
      expect((await store.connectors.deprovisioningLoad(connectorId, at - 1)).recent).to.be.at.least(2);
    });
  });
});

const prefixOf = (store: IdentityStore) => store.tables.users.slice(0, -'users'.length);
