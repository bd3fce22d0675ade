import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describeEachDatabase('The user-write path and its audit rows', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  /** Makes every audit insert fail for the duration of `run` by moving the table away. */
  async function withoutAuditTable(run: () => Promise<void>) {
    const table = h.identity.store.tables.auditEvents;
    await h.knex.schema.renameTable(table, `${table}_away`);
    try {
      await run();
    } finally {
      await h.knex.schema.renameTable(`${table}_away`, table);
    }
  }

  describe('every change commits with its audit row, or not at all', () => {
    it('a create whose audit row cannot be written is rolled back: 500, and no user', async () => {
      await withoutAuditTable(async () => {
        const res = await h.scim.post('/Users', entraUser('unaudited@contoso.com'));
        expect(res.status).to.equal(500);
        expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
      });
      expect(await h.identity.store.users.findByUserName(h.connector.id, 'unaudited@contoso.com')).to.equal(undefined);
    });

    it('a PATCH whose audit row cannot be written leaves the user as it was', async () => {
      const user = (await h.scim.post('/Users', entraUser('patched@contoso.com')).expect(201)).body;
      await withoutAuditTable(async () => {
        await h.scim
          .patch(`/Users/${user.id}`, {
            schemas: [PATCH],
            Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
          })
          .expect(500);
      });
      const stored = await h.identity.store.users.get(h.connector.id, user.id);
      expect(stored).to.include({ active: true, version: 1 });
    });

    it('a group membership change whose audit row cannot be written keeps the old members', async () => {
      const user = (await h.scim.post('/Users', entraUser('member@contoso.com')).expect(201)).body;
      const group = (
        await h.scim
          .post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Audited' })
          .expect(201)
      ).body;
      await withoutAuditTable(async () => {
        await h.scim
          .patch(`/Groups/${group.id}`, {
            schemas: [PATCH],
            Operations: [{ op: 'Add', path: 'members', value: [{ value: user.id }] }],
          })
          .expect(500);
      });
      expect(
        (await h.identity.store.groups.get(h.connector.id, group.id, { withMembers: true }))?.members,
      ).to.deep.equal([]);
    });

    it('a successful write leaves exactly one audit row, in the same commit, naming what changed', async () => {
      const user = (await h.scim.post('/Users', entraUser('once@contoso.com')).expect(201)).body;
      await h.scim
        .patch(`/Users/${user.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', value: { displayName: 'Once More', active: 'False' } }],
        })
        .expect(204);
      const rows = (await h.identity.store.audit.list(h.connector.id, { limit: 20 })).filter(
        (e) => e.resourceId === user.id,
      );
      expect(rows.map((r) => [r.operation, r.outcome, r.status])).to.deep.equal([
        ['user.patch', 'success', 204],
        ['user.create', 'success', 201],
      ]);
      expect(JSON.parse(rows[0].detail!).changed).to.deep.equal(['active', 'displayName']);
    });
  });

  describe('decisions made once, for every caller', () => {
    it('the login method of a new user is builtin, and sso once the connector has SSO configured (issuer, client id and secret)', async () => {
      const c = await h.identity.store.connectors.create({ organizationId: 'org-1', name: 'login-default' });
      expect(
        (await h.identity.users.create(c, entraUser('before@contoso.com'), { actor: 'host' })).loginMethod,
      ).to.equal('builtin');
      // Without its secret no sign-in through Entra can complete: new users would be locked out.
      const noSecret = await h.identity.store.connectors.setOidc(c.id, {
        issuer: 'https://login.microsoftonline.com/t/v2.0',
        clientId: 'client',
        tenantId: 't',
      });
      expect(
        (await h.identity.users.create(noSecret, entraUser('nosecret@contoso.com'), { actor: 'host' })).loginMethod,
      ).to.equal('builtin');
      const withSso = await h.identity.store.connectors.setOidc(c.id, {
        issuer: 'https://login.microsoftonline.com/t/v2.0',
        clientId: 'client',
        tenantId: 't',
        clientSecretEncrypted: 'sealed',
      });
      expect(
        (await h.identity.users.create(withSso, entraUser('after@contoso.com'), { actor: 'host' })).loginMethod,
      ).to.equal('sso');
    });

    it("the host's own users obey the connector's attribute rules too", async () => {
      const c = await h.identity.store.connectors.create({
        organizationId: 'org-1',
        name: 'strict',
        settings: { requiredAttributes: ['title'] },
      });
      let error: unknown;
      try {
        await h.identity.users.create(c, entraUser('untitled@contoso.com'), { actor: 'host' });
      } catch (e) {
        error = e;
      }
      expect((error as Error).name).to.equal('PolicyRefusal');
      expect(await h.identity.store.users.findByUserName(c.id, 'untitled@contoso.com')).to.equal(undefined);
    });

    it('a host-given password is stored only as a hash; the web role still comes from roles', async () => {
      const user = await h.identity.users.create(
        h.connector,
        entraUser('pw@contoso.com', { roles: [{ value: 'Admin', primary: true }] }),
        { actor: 'host' },
        { loginMethod: 'builtin', password: 'correct horse' },
      );
      expect(user.webRole).to.equal('Admin');
      const hash = await h.identity.store.users.passwordHash(h.connector.id, user.id);
      expect(hash)
        .to.match(/^scrypt\$/)
        .and.not.include('correct horse');
    });
  });
});
