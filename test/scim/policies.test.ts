import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describeEachDatabase('Per-connector user policies', (db) => {
  describe('protected users (seed 000: Organization Owners)', () => {
    let h: ScimHarness;
    before(async () => { h = await startScimHarness(db); });
    after(async () => { await h.close(); });

    it('PATCH, PUT and DELETE of a protected user answer 403 and change nothing', async () => {
      const owner = (await h.scim.post('/Users', entraUser('owner@contoso.com'))).body;
      await h.identity.users.setAccess(h.connector, owner.id, { protected: true }, { actor: 'host' });
      const version = (await h.scim.get(`/Users/${owner.id}`)).body.meta.version;
      for (const res of [
        await h.scim.patch(`/Users/${owner.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
        await h.scim.put(`/Users/${owner.id}`, entraUser('owner@contoso.com', { active: false })),
        await h.scim.delete(`/Users/${owner.id}`),
      ]) {
        expect(res.status).to.equal(403);
        expect(res.body.detail).to.match(/protected/);
      }
      const after = (await h.scim.get(`/Users/${owner.id}`)).body;
      expect(after.active).to.equal(true);
      expect(after.meta.version).to.equal(version);
    });
  });

  describe('deleteMode "deactivate" (seed 001: disable instead of delete)', () => {
    let h: ScimHarness;
    before(async () => { h = await startScimHarness(db, { settings: { deleteMode: 'deactivate' } }); });
    after(async () => { await h.close(); });

    it('DELETE answers 204 and keeps the user, inactive', async () => {
      const user = (await h.scim.post('/Users', entraUser('leaver@contoso.com'))).body;
      expect((await h.scim.delete(`/Users/${user.id}`)).status).to.equal(204);
      expect((await h.scim.get(`/Users/${user.id}`)).body.active).to.equal(false);
    });
  });

  describe('attribute rules from the seeds', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: {
        requiredAttributes: ['name.givenName', 'name.familyName', 'emails'],
        allowedValues: { 'emails.type': ['work', 'other'], 'phoneNumbers.type': ['work', 'other'], userType: ['Premium', 'Standard'] },
        createOnlyAttributes: ['locale'],
        userNameImmutable: true,
      } });
    });
    after(async () => { await h.close(); });

    it('a required attribute that is missing answers 400 naming it (seed 002: first and last name)', async () => {
      const body = entraUser('noname@contoso.com');
      delete (body.name as Record<string, unknown>).familyName;
      const res = await h.scim.post('/Users', body);
      expect(res.status).to.equal(400);
      expect(res.body.detail).to.equal('name.familyName is required by this connector');
    });
    it('only work and other email types are accepted (seed 000)', async () => {
      const res = await h.scim.post('/Users', entraUser('home@contoso.com', { emails: [{ type: 'home', value: 'home@contoso.com' }] }));
      expect(res.status).to.equal(400);
      expect(res.body.detail).to.include('emails.type "home"').and.include('work, other');
    });
    it('userType must be Premium or Standard (seed 002)', async () => {
      expect((await h.scim.post('/Users', entraUser('premium@contoso.com', { userType: 'Premium' }))).status).to.equal(201);
      expect((await h.scim.post('/Users', entraUser('gold@contoso.com', { userType: 'Gold' }))).status).to.equal(400);
    });
    it('locale is applied only on creation (seed 001) and userName never changes after insert (seed 003)', async () => {
      const user = (await h.scim.post('/Users', entraUser('first.upn@contoso.com', { locale: 'de-DE' }))).body;
      const res = await h.scim.patch(`/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', value: { locale: 'en-US', userName: 'renamed.upn@contoso.com', title: 'Lead' } }] });
      expect(res.status).to.equal(204);
      const after = (await h.scim.get(`/Users/${user.id}`)).body;
      expect(after).to.include({ locale: 'de-DE', userName: 'first.upn@contoso.com', title: 'Lead' });
    });
    it('a setting naming an unknown attribute is refused when saved', async () => {
      let error: Error | undefined;
      try { await h.identity.store.connectors.updateSettings(h.connector.id, { requiredAttributes: ['shoeSize'] }); } catch (e) { error = e as Error; }
      expect(error?.message).to.match(/"shoeSize" is not an attribute/);
    });
  });

  describe('web access roles from Entra app roles', () => {
    let h: ScimHarness;
    before(async () => { h = await startScimHarness(db, { settings: { roleMap: { 'App.Reader': 'ReadOnly', 'App.User': 'User', 'App.Admin': 'Admin', 'App.Owner': 'EnterpriseAdmin' } } }); });
    after(async () => { await h.close(); });

    const role = async (id: string) => (await h.identity.store.users.get(h.connector.id, id))?.webRole;

    it('the primary role wins, through the connector\'s role map', async () => {
      const user = (await h.scim.post('/Users', entraUser('roles@contoso.com', { roles: [{ value: 'App.Reader' }, { primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'App.Admin' }] }))).body;
      expect(await role(user.id)).to.equal('Admin');
    });
    it('PATCH of roles changes the web role; removing them leaves app login only', async () => {
      const user = (await h.scim.post('/Users', entraUser('roles2@contoso.com', { roles: [{ primary: 'True', value: 'App.User' }] }))).body;
      await h.scim.patch(`/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'roles', value: [{ primary: 'True', value: 'App.Owner' }] }] }).expect(204);
      expect(await role(user.id)).to.equal('EnterpriseAdmin');
      await h.scim.patch(`/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'roles' }] }).expect(204);
      expect(await role(user.id)).to.equal(null);
    });
    it('a value outside the map gives no web role; a mapped one beside it still does', async () => {
      const unmapped = (await h.scim.post('/Users', entraUser('roles3@contoso.com', { roles: [{ primary: 'True', value: 'Admin' }] })).expect(201)).body;
      expect(await role(unmapped.id)).to.equal(null);
      const mixed = (await h.scim.post('/Users', entraUser('roles4@contoso.com', { roles: [{ primary: 'True', value: 'Admin' }, { value: 'App.User' }] })).expect(201)).body;
      expect(await role(mixed.id)).to.equal('User');
    });

    describe('requireWebRole middleware for host routes', () => {
      let agent: ReturnType<typeof supertest>;
      const ids: Record<string, string> = {};
      before(async () => {
        for (const [name, roles] of [['reader', [{ primary: true, value: 'App.Reader' }]], ['admin', [{ primary: true, value: 'App.Admin' }]], ['none', []]] as const) {
          ids[name] = (await h.scim.post('/Users', entraUser(`${name}.web@contoso.com`, { roles }))).body.id;
        }
        // A host whose session says who is signed in: here, a header set by the test.
        const host = express();
        const identity = await (await import('../../lib/index.js')).createIdentityConnector({
          knex: h.knex, baseUrl: 'http://127.0.0.1', mountPath: '/identity', secretKey: 'x'.repeat(40), tablePrefix: h.identity.store.tablePrefix, logger: h.logs.logger,
          currentUser: (req) => (req.get('x-user') ? { connectorId: h.connector.id, userId: String(req.get('x-user')) } : null),
        });
        host.get('/reports', identity.requireWebRole('User'), (_req, res) => { res.send('reports'); });
        host.get('/settings', identity.requireWebRole('Admin'), (_req, res) => { res.send('settings'); });
        agent = supertest(host);
      });

      it('lets a user at or above the role through', async () => {
        expect((await agent.get('/reports').set('x-user', ids.admin)).text).to.equal('reports');
        expect((await agent.get('/settings').set('x-user', ids.admin)).text).to.equal('settings');
      });
      it('refuses a lower role with 403: HTML for browsers, JSON otherwise', async () => {
        const html = await agent.get('/reports').set('x-user', ids.reader).set('Accept', 'text/html');
        expect(html.status).to.equal(403);
        expect(html.headers['content-type']).to.match(/html/);
        expect(html.text).to.include('needs the User web access role; you have ReadOnly');
        const json = await agent.get('/reports').set('x-user', ids.reader).set('Accept', 'application/json');
        expect(json.status).to.equal(403);
        expect(json.body.message).to.match(/ReadOnly/);
      });
      it('refuses a user with no role (app login only) and an anonymous request', async () => {
        const none = await agent.get('/reports').set('x-user', ids.none).set('Accept', 'application/json');
        expect(none.status).to.equal(403);
        expect(none.body.message).to.match(/app login only/);
        expect((await agent.get('/reports').set('Accept', 'application/json')).status).to.equal(401);
      });
      it('sends an anonymous browser to sign in with returnTo, so it comes back to the page', async () => {
        const page = await agent.get('/reports?tab=q3').set('Accept', 'text/html');
        expect(page.status).to.equal(303);
        expect(page.headers.location).to.equal(`/identity/sso/signin?${new URLSearchParams({ returnTo: '/reports?tab=q3' })}`);
      });
    });
  });
});
