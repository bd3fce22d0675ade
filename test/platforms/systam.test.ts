import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

const WORKSPACE = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';

/** The guide's "Example mapping configuration", as Entra sends it, plus 6.1's constant primary workspace. */
function host(upn: string, mail: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', WORKSPACE],
    userName: upn,
    active: ACTIVE,
    name: { givenName: 'Liisa', familyName: 'Virtanen' },
    emails: [{ type: 'work', value: mail, primary: true }, { type: 'other', value: `private.${mail}` }],
    phoneNumbers: [{ type: 'work', value: '+358 40 123 4567', primary: true }, { type: 'other', value: '+358 9 123 456' }],
    preferredLanguage: 'fi-FI',
    [WORKSPACE]: { primaryWorkspace: 'systam' },
    ...extra,
  };
}

describeEachDatabase('Systam Studio, from the "systam" preset', (db) => {
  let h: ScimHarness;
  before(async () => { h = await startScimHarness(db, { preset: 'systam' }); });
  after(async () => { await h.close(); });

  it('creates a host from the attribute-mapping table: work email primary, work phone primary, primary workspace', async () => {
    const created = await provision(h, { attribute: 'userName', value: 'liisa@contoso.onmicrosoft.com' }, host('liisa@contoso.onmicrosoft.com', 'liisa@contoso.fi'));
    expect(created).to.deep.include({ userName: 'liisa@contoso.onmicrosoft.com', active: true, preferredLanguage: 'fi-FI', [WORKSPACE]: { primaryWorkspace: 'systam' } });
    expect(created.emails.find((e: { primary?: boolean }) => e.primary)).to.deep.include({ type: 'work', value: 'liisa@contoso.fi' });
    expect(created.phoneNumbers.find((p: { primary?: boolean }) => p.primary)).to.deep.include({ type: 'work', value: '+358 40 123 4567' });
  });

  it('links an account that already exists with the same email instead of creating another', async () => {
    const existing = await h.identity.users.create(h.connector, { userName: 'matti', emails: [{ type: 'work', value: 'matti@contoso.fi' }] }, { actor: 'host' }, { loginMethod: 'builtin' });
    const linked = await provision(h, { attribute: 'userName', value: 'matti@contoso.onmicrosoft.com' }, host('matti@contoso.onmicrosoft.com', 'matti@contoso.fi'));
    expect(linked.id).to.equal(existing.id);
    expect(linked.userName).to.equal('matti@contoso.onmicrosoft.com');
  });

  it('rejects email and phone types other than work/other, and a user without an email', async () => {
    for (const body of [
      host('a@contoso.onmicrosoft.com', 'a@contoso.fi', { emails: [{ type: 'home', value: 'a@home.fi', primary: true }] }),
      host('b@contoso.onmicrosoft.com', 'b@contoso.fi', { phoneNumbers: [{ type: 'mobile', value: '+358 1' }] }),
      host('c@contoso.onmicrosoft.com', 'c@contoso.fi', { emails: null }),
    ]) {
      const res = await h.scim.post('/Users', body).expect(400);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
  });

  it('updates name, email, phone and primary workspace by PATCH', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'aino@contoso.onmicrosoft.com' }, host('aino@contoso.onmicrosoft.com', 'aino@contoso.fi'));
    await patch(h, user.id,
      { op: 'Replace', path: 'name.familyName', value: 'Korhonen' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'aino.korhonen@contoso.fi' },
      { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+358 50 765 4321' },
      { op: 'Replace', path: `${WORKSPACE}:primaryWorkspace`, value: 'helsinki' }).expect(204);
    const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
    expect(after.name.familyName).to.equal('Korhonen');
    expect(after.emails[0]).to.deep.include({ type: 'work', value: 'aino.korhonen@contoso.fi' });
    expect(after.phoneNumbers[0]).to.deep.include({ type: 'work', value: '+358 50 765 4321' });
    expect(after[WORKSPACE]).to.deep.equal({ primaryWorkspace: 'helsinki' });
  });

  it('disabling in Entra deletes the user permanently; adding them back creates a new user', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'eero@contoso.onmicrosoft.com' }, host('eero@contoso.onmicrosoft.com', 'eero@contoso.fi'));
    await disable(h, user.id).expect(204);
    await h.scim.get(`/Users/${user.id}`).expect(404);
    const again = await provision(h, { attribute: 'userName', value: 'eero@contoso.onmicrosoft.com' }, host('eero@contoso.onmicrosoft.com', 'eero@contoso.fi'));
    expect(again.id).to.not.equal(user.id);
  });

  it('removing the user from synchronization deletes it permanently', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'sanna@contoso.onmicrosoft.com' }, host('sanna@contoso.onmicrosoft.com', 'sanna@contoso.fi'));
    await h.scim.delete(`/Users/${user.id}`).expect(204);
    expect(await h.identity.store.users.get(h.connector.id, user.id)).to.equal(undefined);
  });

  it('Organization Owners are protected: updates and deletes answer 403', async () => {
    const owner = await provision(h, { attribute: 'userName', value: 'owner@contoso.onmicrosoft.com' }, host('owner@contoso.onmicrosoft.com', 'owner@contoso.fi'));
    await h.identity.users.setAccess(h.connector, owner.id, { protected: true }, { actor: 'host' });
    await patch(h, owner.id, { op: 'Replace', path: 'name.givenName', value: 'X' }).expect(403);
    await disable(h, owner.id).expect(403);
    await h.scim.delete(`/Users/${owner.id}`).expect(403);
    expect((await h.scim.get(`/Users/${owner.id}`).expect(200)).body.name.givenName).to.equal('Liisa');
  });

  it('advertises the primaryWorkspace extension and no other', async () => {
    expect(await advertisedSchemas(h)).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:User', WORKSPACE, 'urn:ietf:params:scim:schemas:core:2.0:Group']);
  });
});
