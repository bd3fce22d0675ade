import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const METADATA = 'urn:ietf:params:scim:schemas:extension:2.0:Metadata';
const FOLDERS = 'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName';
const SYSTAM = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';
const ULTIMO = 'urn:acme:ultimo:2.0:User';

describeEachDatabase('Extension sets per connector', (db) => {
  describe('a connector declaring the enterprise extension and a host-defined one', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, {
        settings: {
          extensions: [
            'enterprise',
            { id: ULTIMO, name: 'UltimoUser', attributes: [{ name: 'site' }, { name: 'badges', multiValued: true }] },
          ],
        },
      });
    });
    after(async () => {
      await h.close();
    });

    it('/Schemas shows exactly core User, the declared extensions and Group', async () => {
      const ids = (await h.scim.get('/Schemas').expect(200)).body.Resources.map((s: { id: string }) => s.id);
      expect(ids).to.deep.equal([
        'urn:ietf:params:scim:schemas:core:2.0:User',
        ENTERPRISE,
        ULTIMO,
        'urn:ietf:params:scim:schemas:core:2.0:Group',
      ]);
      const ultimo = (await h.scim.get(`/Schemas/${ULTIMO}`).expect(200)).body;
      expect(
        ultimo.attributes.map((a: { name: string; multiValued: boolean }) => [a.name, a.multiValued]),
      ).to.deep.equal([
        ['site', false],
        ['badges', true],
      ]);
      await h.scim.get(`/Schemas/${METADATA}`).expect(404);
    });

    it('/ResourceTypes/User lists exactly the declared extensions', async () => {
      const user = (await h.scim.get('/ResourceTypes/User').expect(200)).body;
      expect(user.schemaExtensions).to.deep.equal([
        { schema: ENTERPRISE, required: false },
        { schema: ULTIMO, required: false },
      ]);
    });

    it('a host-defined attribute is stored, returned and filterable', async () => {
      const created = (
        await h.scim
          .post(
            '/Users',
            entraUser('site@contoso.com', { [`${ULTIMO}:site`]: 'Delft', [ENTERPRISE]: { department: 'Ops' } }),
          )
          .expect(201)
      ).body;
      expect(created[ULTIMO]).to.deep.equal({ site: 'Delft' });
      expect(created.schemas).to.include(ULTIMO);
      const found = (await h.scim.get(`/Users?filter=${encodeURIComponent(`${ULTIMO}:site eq "delft"`)}`).expect(200))
        .body;
      expect(found.Resources.map((u: { id: string }) => u.id)).to.deep.equal([created.id]);
    });

    for (const [name, urn, extra] of [
      ['Metadata', METADATA, { [`${METADATA}:costCode`]: 'X1' }],
      ['folders', FOLDERS, { [FOLDERS]: { folders: ['A'] } }],
      ['primaryWorkspace', SYSTAM, { [`${SYSTAM}:primaryWorkspace`]: 'HQ' }],
    ] as const) {
      it(`an undeclared extension (${name}) in a POST is 400 invalidValue`, async () => {
        const res = await h.scim.post('/Users', entraUser(`${name.toLowerCase()}@contoso.com`, extra)).expect(400);
        expect(res.body.scimType).to.equal('invalidValue');
        expect(res.body.detail).to.contain(urn);
      });
    }

    it("a PATCH naming an undeclared extension's attribute is 400 invalidPath", async () => {
      const user = (await h.scim.post('/Users', entraUser('patch@contoso.com')).expect(201)).body;
      const res = await h.scim
        .patch(`/Users/${user.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Add', path: `${SYSTAM}:primaryWorkspace`, value: 'HQ' }],
        })
        .expect(400);
      expect(res.body.scimType).to.equal('invalidPath');
    });
  });

  describe('with passthrough on', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { extensions: [], allowExtensionPassthrough: true } });
    });
    after(async () => {
      await h.close();
    });

    it('an undeclared extension is stored as sent, and discovery still shows none', async () => {
      const created = (
        await h.scim.post('/Users', entraUser('kept@contoso.com', { [ENTERPRISE]: { department: 'Ops' } })).expect(201)
      ).body;
      expect((await h.identity.store.users.get(h.connector.id, created.id))?.document[ENTERPRISE]).to.deep.equal({
        department: 'Ops',
      });
      expect((await h.scim.get('/ResourceTypes/User').expect(200)).body.schemaExtensions).to.deep.equal([]);
    });

    it('returns what it keeps: nested under the schema URN (a flat name too), listed in schemas, in GET, lists and after PATCH', async () => {
      const CUSTOM = 'urn:example:custom:2.0:User';
      const created = (
        await h.scim
          .post(
            '/Users',
            entraUser('returned@contoso.com', { [ENTERPRISE]: { department: 'Ops' }, [`${CUSTOM}:colour`]: 'blue' }),
          )
          .expect(201)
      ).body;
      expect(created[ENTERPRISE]).to.deep.equal({ department: 'Ops' });
      expect(created[CUSTOM]).to.deep.equal({ colour: 'blue' });
      expect(created.schemas).to.include.members([ENTERPRISE, CUSTOM]);
      expect(created).to.not.have.property(`${CUSTOM}:colour`);
      const got = (await h.scim.get(`/Users/${created.id}`).expect(200)).body;
      expect(got[ENTERPRISE]).to.deep.equal({ department: 'Ops' });
      await h.scim
        .patch(`/Users/${created.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'Add', path: `${CUSTOM}:size`, value: 'L' }],
        })
        .expect(204);
      const listed = (
        await h.scim.get(`/Users?filter=${encodeURIComponent('userName eq "returned@contoso.com"')}`).expect(200)
      ).body.Resources[0];
      expect(listed[CUSTOM]).to.deep.equal({ colour: 'blue', size: 'L' });
      // attributes / excludedAttributes apply to them like to any attribute returned by default.
      const only = (await h.scim.get(`/Users/${created.id}?attributes=${CUSTOM}:size`).expect(200)).body;
      expect(only[CUSTOM]).to.deep.equal({ size: 'L' });
      expect(only).to.not.have.property(ENTERPRISE);
      const without = (await h.scim.get(`/Users/${created.id}?excludedAttributes=${ENTERPRISE}`).expect(200)).body;
      expect(without).to.not.have.property(ENTERPRISE);
      expect(without[CUSTOM]).to.deep.equal({ colour: 'blue', size: 'L' });
    });
  });

  describe('an extension dropped from the declared set, with passthrough off', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { extensions: ['enterprise'] } });
    });
    after(async () => {
      await h.close();
    });

    it('its stored attributes are not returned (discovery no longer describes them)', async () => {
      const created = (
        await h.scim
          .post('/Users', entraUser('dropped@contoso.com', { [ENTERPRISE]: { department: 'Ops' } }))
          .expect(201)
      ).body;
      await h.identity.store.connectors.updateSettings(h.connector.id, { extensions: [] });
      const got = (await h.scim.get(`/Users/${created.id}`).expect(200)).body;
      expect(got).to.not.have.property(ENTERPRISE);
      expect((await h.identity.store.users.get(h.connector.id, created.id))?.document[ENTERPRISE]).to.deep.equal({
        department: 'Ops',
      });
    });
  });

  describe('the setting', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db);
    });
    after(async () => {
      await h.close();
    });

    it('defaults to every built-in extension', async () => {
      expect(h.connector.settings.extensions).to.deep.equal(['enterprise', 'folders', 'metadata', 'primaryWorkspace']);
    });

    for (const [name, value, message] of [
      ['an unknown built-in name', ['site'], /unknown extension "site"/],
      ['a host schema without a URN id', [{ id: 'ultimo', attributes: [{ name: 'site' }] }], /host-defined schemas/],
      [
        'a host schema redeclaring a built-in URN',
        [{ id: ENTERPRISE, attributes: [{ name: 'site' }] }],
        /already declared/,
      ],
      [
        'an attribute of an unsupported type',
        [{ id: ULTIMO, attributes: [{ name: 'site', type: 'complex' }] }],
        /invalid attribute/,
      ],
      [
        'an attribute named like a resource-level name',
        [{ id: ULTIMO, attributes: [{ name: 'Meta' }] }],
        /resource-level name/,
      ],
      [
        'an attribute named schemas',
        [{ id: ULTIMO, attributes: [{ name: 'site' }, { name: 'schemas' }] }],
        /resource-level name/,
      ],
    ] as const) {
      it(`refuses ${name}`, async () => {
        let error: Error | undefined;
        try {
          await h.identity.store.connectors.updateSettings(h.connector.id, { extensions: value });
        } catch (e) {
          error = e as Error;
        }
        expect(error?.message).to.match(message);
      });
    }
  });
});
