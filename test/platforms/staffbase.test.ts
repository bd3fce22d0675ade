import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, ENTERPRISE, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

/**
 * The guide's minimum mapping as Entra sends it: userPrincipalName → externalId (matching
 * precedence 1; no userName), active, jobTitle → title, mail → work email, givenName, surname,
 * city → address locality, mobile, department, manager, and preferredLanguage → locale applied
 * only on creation.
 */
function employee(upn: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: upn,
    active: ACTIVE,
    title: 'Editor',
    emails: [{ type: 'work', value: upn.replace('onmicrosoft.com', 'com'), primary: true }],
    name: { givenName: 'Jo', familyName: 'Berg' },
    addresses: [{ type: 'work', locality: 'Hamburg' }],
    phoneNumbers: [{ type: 'mobile', value: '+49 170 1234567' }],
    locale: 'de_DE',
    [ENTERPRISE]: { department: 'Comms' },
    ...extra,
  };
}

describeEachDatabase('Staffbase, from the "staffbase" preset', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db, { preset: 'staffbase' });
  });
  after(async () => {
    await h.close();
  });

  it('creates a user matched by externalId, with city as an address and the enterprise fields', async () => {
    const manager = await provision(
      h,
      { attribute: 'externalId', value: 'boss@contoso.onmicrosoft.com' },
      employee('boss@contoso.onmicrosoft.com'),
    );
    const created = await provision(
      h,
      { attribute: 'externalId', value: 'jo@contoso.onmicrosoft.com' },
      employee('jo@contoso.onmicrosoft.com', { [ENTERPRISE]: { department: 'Comms', manager: manager.id } }),
    );
    expect(created).to.deep.include({
      externalId: 'jo@contoso.onmicrosoft.com',
      userName: 'jo@contoso.onmicrosoft.com',
      title: 'Editor',
      locale: 'de_DE',
      active: true,
    });
    expect(created.addresses).to.deep.equal([{ type: 'work', locality: 'Hamburg' }]);
    expect(created[ENTERPRISE]).to.deep.include({ department: 'Comms', manager: { value: manager.id } });
    const found = (
      await h.scim.get(`/Users?filter=${encodeURIComponent('externalId eq "jo@contoso.onmicrosoft.com"')}`).expect(200)
    ).body;
    expect(found.Resources.map((u: { id: string }) => u.id)).to.deep.equal([created.id]);
  });

  it('links an existing user whose identifier is set, instead of creating another', async () => {
    const existing = await h.identity.users.create(
      h.connector,
      { userName: 'kai', externalId: 'kai@contoso.onmicrosoft.com' },
      { actor: 'host' },
    );
    const linked = (await h.scim.post('/Users', employee('kai@contoso.onmicrosoft.com')).expect(201)).body;
    expect(linked.id).to.equal(existing.id);
    expect(linked.title).to.equal('Editor');
  });

  it('updates profile fields; locale is applied only on creation', async () => {
    const user = await provision(
      h,
      { attribute: 'externalId', value: 'lea@contoso.onmicrosoft.com' },
      employee('lea@contoso.onmicrosoft.com'),
    );
    await patch(
      h,
      user.id,
      { op: 'Replace', path: 'title', value: 'Chief Editor' },
      { op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Berlin' },
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Newsroom' },
      { op: 'Replace', path: 'locale', value: 'en_US' },
    ).expect(204);
    const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
    expect(after).to.deep.include({ title: 'Chief Editor', locale: 'de_DE' });
    expect(after.addresses[0].locality).to.equal('Berlin');
    expect(after[ENTERPRISE].department).to.equal('Newsroom');
  });

  it('supports both disable (active=false keeps the user) and delete', async () => {
    const user = await provision(
      h,
      { attribute: 'externalId', value: 'ole@contoso.onmicrosoft.com' },
      employee('ole@contoso.onmicrosoft.com'),
    );
    await disable(h, user.id).expect(204);
    expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.active).to.equal(false);
    await h.scim.delete(`/Users/${user.id}`).expect(204);
    await h.scim.get(`/Users/${user.id}`).expect(404);
  });

  it('provisions groups as "[SCIM] <displayName>" keyed by the Entra object id, with members', async () => {
    const member = await provision(
      h,
      { attribute: 'externalId', value: 'ida@contoso.onmicrosoft.com' },
      employee('ida@contoso.onmicrosoft.com'),
    );
    const objectId = '5c1d7ea4-8b1c-4a0e-9f7e-2d4f1b0a9c11';
    const query = await h.scim.get(`/Groups?filter=${encodeURIComponent(`externalId eq "${objectId}"`)}`).expect(200);
    expect(query.body.totalResults).to.equal(0);
    const group = (
      await h.scim
        .post('/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          externalId: objectId,
          displayName: 'Sales and Marketing',
        })
        .expect(201)
    ).body;
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Add', path: 'members', value: [{ value: member.id }] }],
      })
      .expect(204);
    const stored = await h.identity.store.groups.get(h.connector.id, group.id, { withMembers: true });
    expect(stored?.displayName).to.equal('[SCIM] Sales and Marketing');
    expect(stored?.externalId).to.equal(objectId);
    expect(stored?.members?.map((m) => m.value)).to.deep.equal([member.id]);
  });

  it('advertises the enterprise extension and no other', async () => {
    expect(await advertisedSchemas(h)).to.deep.equal([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENTERPRISE,
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
  });
});
