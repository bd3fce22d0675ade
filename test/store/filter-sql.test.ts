import { expect } from 'chai';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { isStoreError, type StoreError } from '../../lib/store/errors.js';
import { parseFilter } from '../../lib/scim/filter/parse.js';
import { resolveFilter } from '../../lib/scim/filter/resolve.js';
import { registryFor } from '../../lib/model/schemas/registry.js';
import { URN } from '../../lib/model/schemas/urns.js';
import { connectKnex } from '../../lib/store/connect.js';
import { dialectOf, type StoreContext } from '../../lib/store/context.js';
import { idiomsOf } from '../../lib/store/dialect.js';
import { applyFilter, sortExpression } from '../../lib/store/filter-sql.js';
import { normalizeKey } from '../../lib/store/keys.js';
import { migrateLatest, migrateRollbackAll } from '../../lib/store/migrate.js';
import { projectUser } from '../../lib/store/project-user.js';
import { Prepared } from '../../lib/store/prepared.js';
import { tableNames } from '../../lib/store/tables.js';
import { testDatabases } from '../support/databases.js';
import type { ResourceDocument } from '../../lib/model/types.js';

const ENTERPRISE = URN.enterprise;
const METADATA = URN.metadata;

/** The fixture: each user is named by its userName in the assertions. */
const USERS: Array<{ doc: ResourceDocument; created: string }> = [
  {
    created: '2020-01-01T00:00:00Z',
    doc: {
      userName: 'alice@x.com',
      externalId: 'ExtA',
      displayName: 'Alice Smith',
      title: 'Engineer',
      active: true,
      name: { givenName: 'Alice', familyName: 'Smith', formatted: 'Alice Q. Smith' },
      emails: [
        { value: 'alice@contoso.com', type: 'work', primary: true },
        { value: 'alice@home.example', type: 'home' },
      ],
      addresses: [{ type: 'work', locality: 'Seattle', country: 'US' }],
      [ENTERPRISE]: { department: 'R&D', manager: { value: 'mgr-1' } },
      [METADATA]: { Badge: 'B-7' },
    },
  },
  {
    created: '2021-03-01T00:00:00Z',
    doc: {
      userName: 'josé@x.com',
      active: false,
      emails: [
        { value: 'a@x.com', type: 'work' },
        { value: 'b@x.com', type: 'home' },
      ],
      [ENTERPRISE]: { department: 'Sales' },
    },
  },
  { created: '2021-06-01T00:00:00Z', doc: { userName: 'jose@x.com', displayName: '100%_done', title: 'Manager' } },
  { created: '2022-01-01T00:00:00Z', doc: { userName: 'tenx@x.com', displayName: '10 done', title: 'Manager' } },
  {
    created: '2022-06-01T00:00:00Z',
    doc: {
      userName: 'bob@x.com',
      externalId: 'exta',
      title: 'engineer',
      name: { givenName: 'Bob', familyName: 'Stone' },
      emails: [{ value: 'Bob@Contoso.com', type: 'Work' }],
      [METADATA]: { Badge: 'B-9' },
    },
  },
];
const EVERYONE = USERS.map((u) => u.doc.userName as string).sort();

for (const database of testDatabases()) {
  describe(`SCIM filters compiled to SQL [${database.name}]`, function () {
    const prefix = `t${Date.now() % 1e6}_`;
    const t = tableNames(prefix);
    const connectorId = randomUUID();
    const otherConnectorId = randomUUID();
    const ids = new Map<string, string>();
    const groupId = randomUUID();
    let knex: Knex;
    let ctx: StoreContext;

    before(async () => {
      knex = connectKnex(database.url);
      ctx = {
        db: knex,
        tables: t,
        dialect: dialectOf(knex),
        idioms: idiomsOf(dialectOf(knex)),
        prepared: new Prepared(knex, dialectOf(knex)),
      };
      await migrateLatest(knex, prefix);
      const now = Date.now();
      for (const [id, name] of [
        [connectorId, 'main'],
        [otherConnectorId, 'other'],
      ]) {
        await knex(t.connectors).insert({
          id,
          organization_id: 'org',
          name,
          settings: '{}',
          created_at: now,
          updated_at: now,
        });
      }
      for (const { doc, created } of USERS)
        ids.set(doc.userName as string, await insertUser(connectorId, doc, Date.parse(created)));
      // Same data in another connector: it must never show up.
      for (const { doc, created } of USERS) await insertUser(otherConnectorId, doc, Date.parse(created));
      await knex(t.groups).insert({
        id: groupId,
        connector_id: connectorId,
        display_name: 'Admins',
        display_name_key: 'admins',
        external_id: 'grp-ext',
        version: 1,
        document: '{}',
        created_at: now,
        updated_at: now,
      });
      await knex(t.groupMembers).insert({
        group_id: groupId,
        user_id: ids.get('alice@x.com'),
        display: 'Alice Smith',
        created_at: now,
      });
    });

    after(async () => {
      await migrateRollbackAll(knex, prefix);
      await knex.destroy();
    });

    async function insertUser(connector: string, doc: ResourceDocument, created: number): Promise<string> {
      const id = randomUUID();
      const { columns, values, addresses, extensions } = projectUser(doc);
      await knex(t.users).insert({
        ...columns,
        active: columns.active ? 1 : 0,
        id,
        connector_id: connector,
        document: JSON.stringify(doc),
        version: 1,
        created_at: created,
        updated_at: created,
        login_method: 'sso',
      });
      const owner = { user_id: id, connector_id: connector };
      if (values.length)
        await knex(t.userValues).insert(
          values.map((row) => ({ ...row, ...owner, is_primary: row.is_primary ? 1 : 0 })),
        );
      if (addresses.length)
        await knex(t.userAddresses).insert(
          addresses.map((row) => ({ ...row, ...owner, is_primary: row.is_primary ? 1 : 0 })),
        );
      if (extensions.length) await knex(t.userExtensions).insert(extensions.map((row) => ({ ...row, ...owner })));
      return id;
    }

    async function users(filter: string): Promise<string[]> {
      const qb = knex(`${t.users} as u`).select('u.user_name').where('u.connector_id', connectorId);
      applyFilter(qb, resolveFilter(parseFilter(filter), registryFor('User')), 'User', ctx, 'u', connectorId);
      return (await qb).map((r: { user_name: string }) => r.user_name).sort();
    }

    async function groups(filter: string): Promise<string[]> {
      const qb = knex(`${t.groups} as g`).select('g.display_name').where('g.connector_id', connectorId);
      applyFilter(qb, resolveFilter(parseFilter(filter), registryFor('Group')), 'Group', ctx, 'g', connectorId);
      return (await qb).map((r: { display_name: string }) => r.display_name);
    }

    describe('core attributes with columns', () => {
      it('userName eq matches case-insensitively but keeps accents distinct', async () => {
        expect(await users('userName eq "ALICE@X.com"')).to.deep.equal(['alice@x.com']);
        expect(await users('userName eq "jose@x.com"')).to.deep.equal(['jose@x.com']);
        expect(await users('userName eq "JOSÉ@x.com"')).to.deep.equal(['josé@x.com']);
      });

      it('externalId eq is exact, letter case included', async () => {
        expect(await users('externalId eq "ExtA"')).to.deep.equal(['alice@x.com']);
        expect(await users('externalId eq "exta"')).to.deep.equal(['bob@x.com']);
      });

      it('id eq finds the user by its id', async () => {
        expect(await users(`id eq "${ids.get('bob@x.com')}"`)).to.deep.equal(['bob@x.com']);
      });

      it('name.givenName and title compare case-insensitively', async () => {
        expect(await users('name.givenName eq "ALICE"')).to.deep.equal(['alice@x.com']);
        expect(await users('title eq "ENGINEER"')).to.deep.equal(['alice@x.com', 'bob@x.com']);
      });

      it('active compares as a boolean, Entra\'s "False" string included', async () => {
        expect(await users('active eq false')).to.deep.equal(['josé@x.com']);
        expect(await users('active eq "False"')).to.deep.equal(['josé@x.com']);
        expect(await users('active eq true')).to.have.length(EVERYONE.length - 1);
      });

      it('gt/ge/lt/le on meta.created compare instants, whatever the offset', async () => {
        expect(await users('meta.created gt "2021-06-01T00:00:00Z"')).to.deep.equal(['bob@x.com', 'tenx@x.com']);
        expect(await users('meta.created ge "2021-06-01T00:00:00Z"')).to.deep.equal([
          'bob@x.com',
          'jose@x.com',
          'tenx@x.com',
        ]);
        expect(await users('meta.created lt "2021-05-31T20:00:00-04:00"')).to.deep.equal(['alice@x.com', 'josé@x.com']);
        expect(await users('meta.lastModified le "2020-01-01T00:00:00Z"')).to.deep.equal(['alice@x.com']);
      });

      it('meta.version matches the ETag form, meta.resourceType the resource type', async () => {
        expect(await users('meta.version eq "W/\\"1\\""')).to.deep.equal(EVERYONE);
        expect(await users('meta.version eq "W/\\"2\\""')).to.deep.equal([]);
        expect(await users('meta.resourceType eq "user"')).to.deep.equal(EVERYONE);
        expect(await users('meta.resourceType eq "Group"')).to.deep.equal([]);
      });

      it('gt on a string compares the normalised keys lexicographically', async () => {
        expect(await users('userName gt "JOSE@X.COM"')).to.deep.equal(['josé@x.com', 'tenx@x.com']);
      });
    });

    describe('substring operators', () => {
      it('co, sw and ew treat % and _ in the value literally', async () => {
        expect(await users('displayName co "0%_d"')).to.deep.equal(['jose@x.com']);
        expect(await users('displayName sw "100%"')).to.deep.equal(['jose@x.com']);
        expect(await users('displayName ew "_done"')).to.deep.equal(['jose@x.com']);
        expect(await users('displayName ew "done"')).to.deep.equal(['jose@x.com', 'tenx@x.com']);
      });

      it('co on userName is case-insensitive and accent-sensitive', async () => {
        expect(await users('userName co "OSÉ"')).to.deep.equal(['josé@x.com']);
        expect(await users('userName sw "JOS"')).to.deep.equal(['jose@x.com', 'josé@x.com']);
      });
    });

    describe('multi-valued attributes', () => {
      it('emails[type eq "work"].value eq matches a work address in any letter case', async () => {
        expect(await users('emails[type eq "work"].value eq "alice@contoso.com"')).to.deep.equal(['alice@x.com']);
        expect(await users('emails[type eq "work"].value eq "bob@contoso.com"')).to.deep.equal(['bob@x.com']);
      });

      it('a value path holds all its conditions on the same value', async () => {
        expect(await users('emails[type eq "work" and value eq "b@x.com"]')).to.deep.equal([]);
        expect(await users('emails[type eq "home" and value eq "b@x.com"]')).to.deep.equal(['josé@x.com']);
        // Outside brackets, each comparison may be met by a different email.
        expect(await users('emails.type eq "work" and emails.value eq "b@x.com"')).to.deep.equal(['josé@x.com']);
      });

      it('a bare multi-valued attribute compares its value (emails co "@contoso.com")', async () => {
        expect(await users('emails co "@contoso.com"')).to.deep.equal(['alice@x.com', 'bob@x.com']);
      });

      it('emails[primary eq true] and not (emails[...]) ', async () => {
        expect(await users('emails[primary eq true]')).to.deep.equal(['alice@x.com']);
        expect(await users('emails pr and not (emails[primary eq true])')).to.deep.equal(['bob@x.com', 'josé@x.com']);
      });

      it('addresses filter on the address rows', async () => {
        expect(await users('addresses[type eq "WORK" and locality eq "seattle"]')).to.deep.equal(['alice@x.com']);
        expect(await users('addresses.country eq "us"')).to.deep.equal(['alice@x.com']);
      });

      it('groups filter by group id and group display name', async () => {
        expect(await users(`groups eq "${groupId}"`)).to.deep.equal(['alice@x.com']);
        expect(await users('groups[display eq "ADMINS"]')).to.deep.equal(['alice@x.com']);
        expect(await users('groups[type eq "direct"]')).to.deep.equal(['alice@x.com']);
      });
    });

    describe('extension and document attributes', () => {
      it('the enterprise department and manager compare case-insensitively', async () => {
        expect(await users(`${ENTERPRISE}:department eq "r&d"`)).to.deep.equal(['alice@x.com']);
        expect(await users(`${ENTERPRISE}:manager.value eq "MGR-1"`)).to.deep.equal(['alice@x.com']);
        expect(await users(`${ENTERPRISE}:manager eq "mgr-1"`)).to.deep.equal(['alice@x.com']);
        expect(await users(`${ENTERPRISE}:manager pr`)).to.deep.equal(['alice@x.com']);
      });

      it('a Metadata key filters by its value', async () => {
        expect(await users(`${METADATA}:Badge eq "b-9"`)).to.deep.equal(['bob@x.com']);
        expect(await users(`${METADATA}:Badge sw "B-"`)).to.deep.equal(['alice@x.com', 'bob@x.com']);
      });

      it('an attribute without a column is read from the document', async () => {
        expect(await users('name.formatted co "Q. SMITH"')).to.deep.equal(['alice@x.com']);
        expect(await users('name.formatted pr')).to.deep.equal(['alice@x.com']);
      });
    });

    describe('logic and presence', () => {
      it('and, or and not combine with the usual precedence', async () => {
        expect(await users('title eq "engineer" and not (externalId eq "ExtA")')).to.deep.equal(['bob@x.com']);
        expect(await users('userName sw "josé" or userName sw "bob" and title pr')).to.deep.equal([
          'bob@x.com',
          'josé@x.com',
        ]);
        expect(await users('(userName sw "alice" or userName sw "jose") and title pr')).to.deep.equal([
          'alice@x.com',
          'jose@x.com',
        ]);
      });

      it('ne and not match users that lack the attribute', async () => {
        expect(await users('title ne "Engineer"')).to.deep.equal(['jose@x.com', 'josé@x.com', 'tenx@x.com']);
        expect(await users('not (displayName co "done")')).to.deep.equal(['alice@x.com', 'bob@x.com', 'josé@x.com']);
        expect(await users(`not (${ENTERPRISE}:department eq "Sales")`)).to.deep.equal([
          'alice@x.com',
          'bob@x.com',
          'jose@x.com',
          'tenx@x.com',
        ]);
      });

      it('pr requires a non-empty value; eq null is its negation', async () => {
        expect(await users('externalId pr')).to.deep.equal(['alice@x.com', 'bob@x.com']);
        expect(await users('emails pr')).to.deep.equal(['alice@x.com', 'bob@x.com', 'josé@x.com']);
        expect(await users('addresses pr')).to.deep.equal(['alice@x.com']);
        expect(await users('externalId eq null')).to.deep.equal(['jose@x.com', 'josé@x.com', 'tenx@x.com']);
      });
    });

    it("accepts the unquoted values of Microsoft's validator", async () => {
      expect(await users('name.FamilyName eq Smith')).to.deep.equal(['alice@x.com']);
      expect(await users('userName sw ALI')).to.deep.equal(['alice@x.com']);
      expect(await users('emails.Value co contoso.com')).to.deep.equal(['alice@x.com', 'bob@x.com']);
      expect(await users('meta.Created gt 2021-12-31T16:00:00-08:00')).to.deep.equal(['bob@x.com']);
    });

    it('never matches a user of another connector', async () => {
      const qb = knex(`${t.users} as u`).select('u.id').where('u.connector_id', connectorId);
      applyFilter(
        qb,
        resolveFilter(parseFilter('userName pr or emails pr or groups pr'), registryFor('User')),
        'User',
        ctx,
        'u',
        connectorId,
      );
      const found = (await qb).map((r: { id: string }) => r.id).sort();
      expect(found).to.deep.equal([...ids.values()].sort());
    });

    it('binds every value as a parameter', () => {
      const qb = knex(`${t.users} as u`).select('u.id');
      applyFilter(
        qb,
        resolveFilter(
          parseFilter(`userName eq "x' OR 1=1 --" or emails[type eq "a"].value co "%b"`),
          registryFor('User'),
        ),
        'User',
        ctx,
        'u',
        connectorId,
      );
      const { sql, bindings } = qb.toSQL();
      expect(sql).not.to.contain('OR 1=1');
      expect(bindings).to.include(normalizeKey("x' OR 1=1 --"));
      expect(bindings).to.include('%!%b%');
    });

    it('refuses a sub-attribute the store cannot filter with invalidFilter', () => {
      const qb = knex(`${t.users} as u`);
      try {
        applyFilter(
          qb,
          resolveFilter(parseFilter('groups.$ref eq "x"'), registryFor('User')),
          'User',
          ctx,
          'u',
          connectorId,
        );
        expect.fail('expected a StoreError');
      } catch (error) {
        expect(isStoreError(error, 'invalid_query')).to.equal(true);
        expect((error as StoreError).detail.scimType).to.equal('invalidFilter');
      }
    });

    describe('groups', () => {
      it('displayName is case-insensitive, externalId exact', async () => {
        expect(await groups('displayName eq "ADMINS"')).to.deep.equal(['Admins']);
        expect(await groups('externalId eq "GRP-EXT"')).to.deep.equal([]);
        expect(await groups('externalId eq "grp-ext"')).to.deep.equal(['Admins']);
      });

      it('members and members.value find groups by member id', async () => {
        expect(await groups(`members eq "${ids.get('alice@x.com')}"`)).to.deep.equal(['Admins']);
        expect(await groups(`members[value eq "${ids.get('bob@x.com')}"]`)).to.deep.equal([]);
        expect(await groups('members[display co "alice"]')).to.deep.equal(['Admins']);
        expect(await groups('members pr and meta.resourceType eq "Group"')).to.deep.equal(['Admins']);
      });
    });

    describe('sortExpression', () => {
      const sortOf = (kind: 'User' | 'Group', path: string) =>
        sortExpression(kind, registryFor(kind).resolve(path)!, 'u');

      it('names the key or plain column for sortable attributes and nothing otherwise', () => {
        expect(sortOf('User', 'userName')).to.equal('u.user_name_key');
        expect(sortOf('User', 'name.familyName')).to.equal('u.family_name');
        expect(sortOf('User', 'meta.lastModified')).to.equal('u.updated_at');
        expect(sortOf('Group', 'displayName')).to.equal('u.display_name_key');
        expect(sortOf('User', 'emails.value')).to.equal(undefined);
        expect(sortOf('User', `${ENTERPRISE}:department`)).to.equal(undefined);
      });

      it('orders a query by that column', async () => {
        const rows = await knex(`${t.users} as u`)
          .select('u.user_name')
          .where('u.connector_id', connectorId)
          .orderByRaw(`${sortOf('User', 'meta.created')} desc`);
        expect(rows.map((r: { user_name: string }) => r.user_name)).to.deep.equal([
          'bob@x.com',
          'tenx@x.com',
          'jose@x.com',
          'josé@x.com',
          'alice@x.com',
        ]);
      });
    });
  });
}
