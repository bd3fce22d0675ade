import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describeEachDatabase('Per-connector user policies', (db) => {
  describe('protected users (Systam: Organization Owners)', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db);
    });
    after(async () => {
      await h.close();
    });

    it('PATCH, PUT and DELETE of a protected user answer 403 and change nothing', async () => {
      const owner = (await h.scim.post('/Users', entraUser('owner@contoso.com'))).body;
      await h.identity.users.setAccess(h.connector, owner.id, { protected: true }, { actor: 'host' });
      const version = (await h.scim.get(`/Users/${owner.id}`)).body.meta.version;
      for (const res of [
        await h.scim.patch(`/Users/${owner.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
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

  describe('deleteMode "deactivate" (Staffbase: disable instead of delete)', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { deleteMode: 'deactivate' } });
    });
    after(async () => {
      await h.close();
    });

    it('DELETE answers 204 and keeps the user, inactive', async () => {
      const user = (await h.scim.post('/Users', entraUser('leaver@contoso.com'))).body;
      expect((await h.scim.delete(`/Users/${user.id}`)).status).to.equal(204);
      expect((await h.scim.get(`/Users/${user.id}`)).body.active).to.equal(false);
    });
  });

  describe('onDeactivate "delete" (Systam: disabling deletes)', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { onDeactivate: 'delete' } });
    });
    after(async () => {
      await h.close();
    });

    it('a PATCH active=false answers 204 without a body or ETag, even with attributes asked for; the user is gone', async () => {
      for (const query of ['', '?attributes=userName']) {
        const user = (await h.scim.post('/Users', entraUser(`gone${query.length}@contoso.com`)).expect(201)).body;
        const res = await h.scim.patch(`/Users/${user.id}${query}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        });
        expect(res.status, query).to.equal(204);
        expect(res.text).to.equal('');
        expect(res.headers.etag).to.equal(undefined);
        await h.scim.get(`/Users/${user.id}`).expect(404);
      }
    });

    it('a PUT with active=false answers 204, never 200 with a body for a user that no longer exists', async () => {
      const user = (await h.scim.post('/Users', entraUser('put.gone@contoso.com')).expect(201)).body;
      const res = await h.scim.put(`/Users/${user.id}`, entraUser('put.gone@contoso.com', { active: false }));
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect(res.headers.location).to.equal(undefined);
      await h.scim.get(`/Users/${user.id}`).expect(404);
      const [logged] = await h.identity.store.audit.list(h.connector.id, { operation: 'user.delete', limit: 1 });
      expect(logged).to.include({ resourceId: user.id, status: 204, outcome: 'success' });
      // Entra's next query finds nothing, and a re-assignment creates a new user.
      expect(
        (await h.scim.get('/Users?filter=userName eq "put.gone@contoso.com"').expect(200)).body.totalResults,
      ).to.equal(0);
      expect((await h.scim.post('/Users', entraUser('put.gone@contoso.com')).expect(201)).body.id).to.not.equal(
        user.id,
      );
    });

    it('a PUT or PATCH that keeps the user active still answers 200 with the resource', async () => {
      const user = (await h.scim.post('/Users', entraUser('stays@contoso.com')).expect(201)).body;
      const res = await h.scim
        .put(`/Users/${user.id}`, entraUser('stays@contoso.com', { displayName: 'Stays' }))
        .expect(200);
      expect(res.body).to.include({ id: user.id, displayName: 'Stays', active: true });
    });
  });

  describe('attribute rules from the platform guides', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, {
        settings: {
          requiredAttributes: ['name.givenName', 'name.familyName', 'emails'],
          allowedValues: {
            'emails.type': ['work', 'other'],
            'phoneNumbers.type': ['work', 'other'],
            userType: ['Premium', 'Standard'],
          },
          createOnlyAttributes: ['locale'],
          userNameImmutable: true,
        },
      });
    });
    after(async () => {
      await h.close();
    });

    it('a required attribute that is missing answers 400 naming it (the modelled platform: first and last name)', async () => {
      const body = entraUser('noname@contoso.com');
      delete (body.name as Record<string, unknown>).familyName;
      const res = await h.scim.post('/Users', body);
      expect(res.status).to.equal(400);
      expect(res.body.detail).to.equal('name.familyName is required by this connector');
    });
    it('only work and other email types are accepted (Systam)', async () => {
      const res = await h.scim.post(
        '/Users',
        entraUser('home@contoso.com', { emails: [{ type: 'home', value: 'home@contoso.com' }] }),
      );
      expect(res.status).to.equal(400);
      expect(res.body.detail).to.include('emails.type "home"').and.include('work, other');
    });
    it('userType must be Premium or Standard (the modelled platform)', async () => {
      expect((await h.scim.post('/Users', entraUser('premium@contoso.com', { userType: 'Premium' }))).status).to.equal(
        201,
      );
      expect((await h.scim.post('/Users', entraUser('gold@contoso.com', { userType: 'Gold' }))).status).to.equal(400);
    });
    it('locale is applied only on creation (Staffbase) and userName never changes after insert (IFS Ultimo)', async () => {
      const user = (await h.scim.post('/Users', entraUser('first.upn@contoso.com', { locale: 'de-DE' }))).body;
      const res = await h.scim.patch(`/Users/${user.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Replace', value: { locale: 'en-US', userName: 'renamed.upn@contoso.com', title: 'Lead' } }],
      });
      expect(res.status).to.equal(204);
      const after = (await h.scim.get(`/Users/${user.id}`)).body;
      expect(after).to.include({ locale: 'de-DE', userName: 'first.upn@contoso.com', title: 'Lead' });
    });
    it('a setting naming an unknown attribute is refused when saved', async () => {
      let error: Error | undefined;
      try {
        await h.identity.store.connectors.updateSettings(h.connector.id, { requiredAttributes: ['shoeSize'] });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.match(/"shoeSize" is not an attribute/);
    });
    it('typed and conditional requirements and primaryByType are checked when saved', async () => {
      const refusals: Array<[Record<string, unknown>, RegExp]> = [
        [{ requiredAttributes: ['title[type eq "work"]'] }, /"title\[type eq "work"\]" is not an attribute/],
        [{ requiredAttributes: ['emails[type eq "work"].shoe'] }, /is not an attribute/],
        [
          { requiredAttributes: [{ path: 'emails[type eq "work"].value' }] },
          /\{"path": "…", "ifSent": "phoneNumbers"\}/,
        ],
        [
          { requiredAttributes: [{ path: 'phoneNumbers[type eq "work"].value', ifSent: 'faxes' }] },
          /"faxes" is not an attribute/,
        ],
        [{ primaryByType: { title: 'work' } }, /primaryByType: "title" is not a multi-valued attribute/],
        [{ primaryByType: { emails: '' } }, /primaryByType\["emails"\] must be a type/],
      ];
      for (const [settings, message] of refusals) {
        let error: Error | undefined;
        try {
          await h.identity.store.connectors.updateSettings(h.connector.id, settings);
        } catch (e) {
          error = e as Error;
        }
        expect(error?.message, JSON.stringify(settings)).to.match(message);
      }
      const saved = await h.identity.store.connectors.updateSettings(h.connector.id, {
        requiredAttributes: [
          'EMAILS[type eq "Work"].value',
          { path: 'phoneNumbers[type eq "work"].value', ifSent: 'phoneNumbers' },
        ],
        primaryByType: { PhoneNumbers: 'work' },
      });
      expect(saved.settings.primaryByType).to.deep.equal({ phoneNumbers: 'work' });
      // The type compares in any letter case, as Entra's filter does.
      expect(
        (
          await h.scim.post(
            '/Users',
            entraUser('typed@contoso.com', { emails: [{ type: 'work', value: 'typed@contoso.com' }] }),
          )
        ).status,
      ).to.equal(201);
      await h.identity.store.connectors.updateSettings(h.connector.id, {
        requiredAttributes: ['name.givenName', 'name.familyName', 'emails'],
        primaryByType: {},
      });
    });
  });

  describe('web access roles from Entra app roles', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, {
        settings: {
          roleMap: {
            'App.Reader': 'ReadOnly',
            'App.User': 'User',
            'App.Admin': 'Admin',
            'App.Owner': 'EnterpriseAdmin',
          },
        },
      });
    });
    after(async () => {
      await h.close();
    });

    const role = async (id: string) => (await h.identity.store.users.get(h.connector.id, id))?.webRole;

    it("the primary role wins, through the connector's role map", async () => {
      const user = (
        await h.scim.post(
          '/Users',
          entraUser('roles@contoso.com', {
            roles: [
              { value: 'App.Reader' },
              { primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'App.Admin' },
            ],
          }),
        )
      ).body;
      expect(await role(user.id)).to.equal('Admin');
    });
    it('PATCH of roles changes the web role; removing them leaves app login only', async () => {
      const user = (
        await h.scim.post(
          '/Users',
          entraUser('roles2@contoso.com', { roles: [{ primary: 'True', value: 'App.User' }] }),
        )
      ).body;
      await h.scim
        .patch(`/Users/${user.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'roles', value: [{ primary: 'True', value: 'App.Owner' }] }],
        })
        .expect(204);
      expect(await role(user.id)).to.equal('EnterpriseAdmin');
      await h.scim
        .patch(`/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'roles' }] })
        .expect(204);
      expect(await role(user.id)).to.equal(null);
    });
    it('a value outside the map gives no web role; a mapped one beside it still does', async () => {
      const unmapped = (
        await h.scim
          .post('/Users', entraUser('roles3@contoso.com', { roles: [{ primary: 'True', value: 'Admin' }] }))
          .expect(201)
      ).body;
      expect(await role(unmapped.id)).to.equal(null);
      const mixed = (
        await h.scim
          .post(
            '/Users',
            entraUser('roles4@contoso.com', { roles: [{ primary: 'True', value: 'Admin' }, { value: 'App.User' }] }),
          )
          .expect(201)
      ).body;
      expect(await role(mixed.id)).to.equal('User');
    });
  });
});
