import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, PATCH_OP, adminApi, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

const WORKSPACE = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** Entra object ids of two groups in scope (6.2: "save the group IDs"). */
const TAMPERE_GROUP = '5d1c0e52-8b4a-4f0e-9d3c-1a2b3c4d5e6f';
const VISITORS_GROUP = '9e8d7c6b-5a49-4382-9171-605f4e3d2c1b';

/**
 * Step 6 as Studio configures it: the constant "systam" (6.1) and attribute values (6.3) mapped to
 * workspaces, provisioned groups mapped by their Entra id (6.2), attribute first, then group.
 */
const WORKSPACES = {
  values: { systam: 'ws-main', Helsinki: 'ws-hki' },
  groups: { [TAMPERE_GROUP]: 'ws-tre', [VISITORS_GROUP]: 'ws-lobby' },
  fallback: 'ws-main',
};

/** The guide's "Example mapping configuration", as Entra sends it, plus 6.1's constant primary workspace. */
function host(upn: string, mail: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', WORKSPACE],
    userName: upn,
    active: ACTIVE,
    name: { givenName: 'Liisa', familyName: 'Virtanen' },
    emails: [
      { type: 'work', value: mail, primary: true },
      { type: 'other', value: `private.${mail}` },
    ],
    phoneNumbers: [
      { type: 'work', value: '+358 40 123 4567', primary: true },
      { type: 'other', value: '+358 9 123 456' },
    ],
    preferredLanguage: 'fi-FI',
    [WORKSPACE]: { primaryWorkspace: 'systam' },
    ...extra,
  };
}

describeEachDatabase('Systam Studio, from the "systam" preset', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db, { preset: 'systam', settings: { workspaces: WORKSPACES }, admins: true });
    for (const [id, name] of [
      ['ws-main', 'Main office'],
      ['ws-hki', 'Helsinki'],
      ['ws-tre', 'Tampere'],
      ['ws-lobby', 'Lobby'],
    ]) {
      await h.identity.workspaces.register(h.connector.organizationId, { id, name });
    }
  });
  after(async () => {
    await h.close();
  });

  it('creates a host from the attribute-mapping table: work email primary, work phone primary, primary workspace', async () => {
    const created = await provision(
      h,
      { attribute: 'userName', value: 'liisa@contoso.onmicrosoft.com' },
      host('liisa@contoso.onmicrosoft.com', 'liisa@contoso.fi'),
    );
    expect(created).to.deep.include({
      userName: 'liisa@contoso.onmicrosoft.com',
      active: true,
      preferredLanguage: 'fi-FI',
      [WORKSPACE]: { primaryWorkspace: 'systam' },
    });
    expect(created.emails.find((e: { primary?: boolean }) => e.primary)).to.deep.include({
      type: 'work',
      value: 'liisa@contoso.fi',
    });
    expect(created.phoneNumbers.find((p: { primary?: boolean }) => p.primary)).to.deep.include({
      type: 'work',
      value: '+358 40 123 4567',
    });
  });

  it('links an account that already exists with the same email instead of creating another', async () => {
    const existing = await h.identity.users.create(
      h.connector,
      { userName: 'matti', emails: [{ type: 'work', value: 'matti@contoso.fi' }] },
      { actor: 'host' },
      { loginMethod: 'builtin' },
    );
    const linked = await provision(
      h,
      { attribute: 'userName', value: 'matti@contoso.onmicrosoft.com' },
      host('matti@contoso.onmicrosoft.com', 'matti@contoso.fi'),
    );
    expect(linked.id).to.equal(existing.id);
    expect(linked.userName).to.equal('matti@contoso.onmicrosoft.com');
  });

  it('rejects email and phone types other than work/other, and a user without an email', async () => {
    for (const body of [
      host('a@contoso.onmicrosoft.com', 'a@contoso.fi', {
        emails: [{ type: 'home', value: 'a@home.fi', primary: true }],
      }),
      host('b@contoso.onmicrosoft.com', 'b@contoso.fi', { phoneNumbers: [{ type: 'mobile', value: '+358 1' }] }),
      host('c@contoso.onmicrosoft.com', 'c@contoso.fi', { emails: null }),
    ]) {
      const res = await h.scim.post('/Users', body).expect(400);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
  });

  it('"A work-type email address is required": without one, provisioning fails for that user with an error naming it', async () => {
    const res = await h.scim
      .post(
        '/Users',
        host('noworkmail@contoso.onmicrosoft.com', 'x@contoso.fi', { emails: [{ type: 'other', value: 'x@home.fi' }] }),
      )
      .expect(400);
    expect(res.body).to.deep.include({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'invalidValue',
    });
    expect(res.body.detail).to.equal('emails[type eq "work"].value is required by this connector');
    expect(
      (
        await h.scim
          .get(`/Users?filter=${encodeURIComponent('userName eq "noworkmail@contoso.onmicrosoft.com"')}`)
          .expect(200)
      ).body.totalResults,
    ).to.equal(0);
  });

  it('"A work-type phone number is required if phone numbers are mapped"; with phone numbers unmapped, none is needed', async () => {
    const otherOnly = host('nowork@contoso.onmicrosoft.com', 'nowork@contoso.fi', {
      phoneNumbers: [{ type: 'other', value: '+358 9 123 456' }],
    });
    const res = await h.scim.post('/Users', otherOnly).expect(400);
    expect(res.body.detail).to.equal(
      'phoneNumbers[type eq "work"].value (when phoneNumbers is sent) is required by this connector',
    );
    const unmapped = await provision(
      h,
      { attribute: 'userName', value: 'nophone@contoso.onmicrosoft.com' },
      host('nophone@contoso.onmicrosoft.com', 'nophone@contoso.fi', { phoneNumbers: undefined }),
    );
    expect(unmapped.phoneNumbers).to.equal(undefined);
    // A PATCH that leaves phone numbers without a work one fails the same way, and changes nothing.
    const user = await provision(
      h,
      { attribute: 'userName', value: 'phone@contoso.onmicrosoft.com' },
      host('phone@contoso.onmicrosoft.com', 'phone@contoso.fi'),
    );
    await patch(h, user.id, { op: 'Remove', path: 'phoneNumbers[type eq "work"]' }).expect(400);
    expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.phoneNumbers).to.have.length(2);
  });

  it('"The work email address is always the user\'s primary email", the work phone the primary number: in SCIM and for the host', async () => {
    const body = host('primary@contoso.onmicrosoft.com', 'primary@contoso.fi', {
      emails: [
        { type: 'other', value: 'primary@home.fi', primary: true },
        { type: 'work', value: 'primary@contoso.fi' },
      ],
      phoneNumbers: [
        { type: 'other', value: '+358 9 1', primary: true },
        { type: 'work', value: '+358 40 1' },
      ],
    });
    const created = await provision(h, { attribute: 'userName', value: 'primary@contoso.onmicrosoft.com' }, body);
    const primaryOf = (values: Array<{ primary?: boolean; value: string }>) =>
      values.filter((v) => v.primary).map((v) => v.value);
    expect(primaryOf(created.emails)).to.deep.equal(['primary@contoso.fi']);
    expect(primaryOf(created.phoneNumbers)).to.deep.equal(['+358 40 1']);
    // A later PATCH of the other email keeps the work one primary.
    await patch(h, created.id, { op: 'Replace', path: 'emails[type eq "other"].value', value: 'p2@home.fi' }).expect(
      204,
    );
    const stored = await h.identity.store.users.get(h.connector.id, created.id);
    expect(primaryOf(stored!.document.emails as Array<{ value: string }>)).to.deep.equal(['primary@contoso.fi']);
    // The host's own writes take the same rule.
    const hostMade = await h.identity.users.create(
      h.connector,
      {
        userName: 'desk',
        emails: [
          { type: 'other', value: 'desk@home.fi', primary: true },
          { type: 'work', value: 'desk@contoso.fi' },
        ],
      },
      { actor: 'host' },
    );
    expect(primaryOf(hostMade.document.emails as Array<{ value: string }>)).to.deep.equal(['desk@contoso.fi']);
  });

  it('updates name, email, phone and primary workspace by PATCH', async () => {
    const user = await provision(
      h,
      { attribute: 'userName', value: 'aino@contoso.onmicrosoft.com' },
      host('aino@contoso.onmicrosoft.com', 'aino@contoso.fi'),
    );
    await patch(
      h,
      user.id,
      { op: 'Replace', path: 'name.familyName', value: 'Korhonen' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'aino.korhonen@contoso.fi' },
      { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+358 50 765 4321' },
      { op: 'Replace', path: `${WORKSPACE}:primaryWorkspace`, value: 'helsinki' },
    ).expect(204);
    const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
    expect(after.name.familyName).to.equal('Korhonen');
    expect(after.emails[0]).to.deep.include({ type: 'work', value: 'aino.korhonen@contoso.fi' });
    expect(after.phoneNumbers[0]).to.deep.include({ type: 'work', value: '+358 50 765 4321' });
    expect(after[WORKSPACE]).to.deep.equal({ primaryWorkspace: 'helsinki' });
    // "Helsinki" is mapped (in any letter case): the host moved to that workspace.
    expect(await h.identity.workspaces.forUser(h.connector.id, user.id)).to.deep.equal({
      primary: 'ws-hki',
      workspaces: ['ws-hki'],
    });
  });

  it('disabling in Entra deletes the user permanently; adding them back creates a new user', async () => {
    const user = await provision(
      h,
      { attribute: 'userName', value: 'eero@contoso.onmicrosoft.com' },
      host('eero@contoso.onmicrosoft.com', 'eero@contoso.fi'),
    );
    await disable(h, user.id).expect(204);
    await h.scim.get(`/Users/${user.id}`).expect(404);
    const again = await provision(
      h,
      { attribute: 'userName', value: 'eero@contoso.onmicrosoft.com' },
      host('eero@contoso.onmicrosoft.com', 'eero@contoso.fi'),
    );
    expect(again.id).to.not.equal(user.id);
  });

  it('removing the user from synchronization deletes it permanently', async () => {
    const user = await provision(
      h,
      { attribute: 'userName', value: 'sanna@contoso.onmicrosoft.com' },
      host('sanna@contoso.onmicrosoft.com', 'sanna@contoso.fi'),
    );
    await h.scim.delete(`/Users/${user.id}`).expect(204);
    expect(await h.identity.store.users.get(h.connector.id, user.id)).to.equal(undefined);
  });

  it('Organization Owners are protected: an admin marks them on the admin page; updates and deletes then answer 403', async () => {
    const owner = await provision(
      h,
      { attribute: 'userName', value: 'owner@contoso.onmicrosoft.com' },
      host('owner@contoso.onmicrosoft.com', 'owner@contoso.fi'),
    );
    const admin = await adminApi(h);
    const marked = await admin
      .put(`/users/${owner.id}/protected`, { connectorId: h.connector.id, protected: true })
      .expect(200);
    expect(marked.body).to.include({ id: owner.id, protected: true });
    await patch(h, owner.id, { op: 'Replace', path: 'name.givenName', value: 'X' }).expect(403);
    await disable(h, owner.id).expect(403);
    await h.scim.delete(`/Users/${owner.id}`).expect(403);
    expect((await h.scim.get(`/Users/${owner.id}`).expect(200)).body.name.givenName).to.equal('Liisa');
    // The admin's change is in the provisioning log; unmarked, Entra manages the user again.
    const log = (await admin.get(`/connectors/${h.connector.id}/audit?operation=user.protection`).expect(200)).body;
    expect(log.events.map((e: { resourceId: string; actor: string }) => [e.resourceId, e.actor])).to.deep.equal([
      [owner.id, 'admin'],
    ]);
    await admin.put(`/users/${owner.id}/protected`, { connectorId: h.connector.id, protected: false }).expect(200);
    await patch(h, owner.id, { op: 'Replace', path: 'name.givenName', value: 'Liisa-Maria' }).expect(204);
    // The API refuses what is not a yes or no, and another connector's id.
    await admin.put(`/users/${owner.id}/protected`, { connectorId: h.connector.id, protected: 'yes' }).expect(400);
    await admin.put(`/users/${owner.id}/protected`, { connectorId: 'no-such-connector', protected: true }).expect(404);
  });

  it('6.1: the constant "systam" maps every host to its workspace; the SCIM User shows the value Entra sent', async () => {
    const user = await provision(
      h,
      { attribute: 'userName', value: 'ville@contoso.onmicrosoft.com' },
      host('ville@contoso.onmicrosoft.com', 'ville@contoso.fi'),
    );
    expect(await h.identity.workspaces.forUser(h.connector.id, user.id)).to.deep.equal({
      primary: 'ws-main',
      workspaces: ['ws-main'],
    });
    // What Entra reads back is what it sent: a resolved id would make it PATCH every cycle.
    expect(user[WORKSPACE]).to.deep.equal({ primaryWorkspace: 'systam' });
  });

  it('6.2 and 6.3: the attribute wins over the group; a host without a mapped attribute value takes the group; membership changes move them', async () => {
    const fromAttribute = await provision(
      h,
      { attribute: 'userName', value: 'helmi@contoso.onmicrosoft.com' },
      host('helmi@contoso.onmicrosoft.com', 'helmi@contoso.fi', { [WORKSPACE]: { primaryWorkspace: 'Helsinki' } }),
    );
    const fromGroup = await provision(
      h,
      { attribute: 'userName', value: 'tuomas@contoso.onmicrosoft.com' },
      host('tuomas@contoso.onmicrosoft.com', 'tuomas@contoso.fi', { [WORKSPACE]: { primaryWorkspace: 'Oulu' } }),
    );
    // Entra provisions the group, then adds members by PATCH.
    const query = await h.scim
      .get(`/Groups?filter=${encodeURIComponent('displayName eq "Tampere office"')}&excludedAttributes=members`)
      .expect(200);
    expect(query.body.totalResults).to.equal(0);
    const group = (
      await h.scim
        .post('/Groups', { schemas: [GROUP], displayName: 'Tampere office', externalId: TAMPERE_GROUP })
        .expect(201)
    ).body;
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Add', path: 'members', value: [{ value: fromAttribute.id }, { value: fromGroup.id }] }],
      })
      .expect(204);
    const workspaces = (id: string) => h.identity.workspaces.forUser(h.connector.id, id);
    expect(await workspaces(fromAttribute.id), 'attribute first').to.deep.equal({
      primary: 'ws-hki',
      workspaces: ['ws-hki'],
    });
    expect(await workspaces(fromGroup.id), 'then group').to.deep.equal({ primary: 'ws-tre', workspaces: ['ws-tre'] });
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Remove', path: 'members', value: [{ value: fromGroup.id }] }],
      })
      .expect(204);
    expect(await workspaces(fromGroup.id), 'then the fallback').to.deep.equal({
      primary: 'ws-main',
      workspaces: ['ws-main'],
    });
  });

  it('"All workspaces": hosts are synced to every workspace that maps, and still have one primary', async () => {
    const all = await h.identity.store.connectors.create({
      organizationId: h.connector.organizationId,
      name: 'Systam (all workspaces)',
      preset: 'systam',
      settings: { workspaces: { ...WORKSPACES, sync: 'all' } },
    });
    const user = await h.identity.users.create(
      all,
      host('aada@contoso.onmicrosoft.com', 'aada@contoso.fi', { [WORKSPACE]: { primaryWorkspace: 'Helsinki' } }),
      { actor: 'test' },
    );
    const { token } = await h.identity.store.tokens.create(all.id);
    const group = await h.http
      .post('/identity/scim/v2/Groups')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/scim+json')
      .send(
        JSON.stringify({
          schemas: [GROUP],
          displayName: 'Visitors desk',
          externalId: VISITORS_GROUP,
          members: [{ value: user.id }],
        }),
      )
      .expect(201);
    expect(group.body.id).to.be.a('string');
    expect(await h.identity.workspaces.forUser(all.id, user.id)).to.deep.equal({
      primary: 'ws-hki',
      workspaces: ['ws-hki', 'ws-lobby'],
    });
  });

  it('"If you later change the setting to Primary workspaces, hosts are not removed automatically from other workspaces"', async () => {
    const all = await h.identity.store.connectors.create({
      organizationId: h.connector.organizationId,
      name: 'Systam (switched)',
      preset: 'systam',
      settings: { workspaces: { ...WORKSPACES, sync: 'all' } },
    });
    const user = await h.identity.users.create(
      all,
      host('kaisa@contoso.onmicrosoft.com', 'kaisa@contoso.fi', { [WORKSPACE]: { primaryWorkspace: 'Helsinki' } }),
      { actor: 'test' },
    );
    const { token } = await h.identity.store.tokens.create(all.id);
    const entra = (method: 'post' | 'patch', path: string, body: unknown) =>
      h.http[method](`/identity/scim/v2${path}`)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(body));
    await entra('post', '/Groups', {
      schemas: [GROUP],
      displayName: 'Lobby desk',
      externalId: VISITORS_GROUP,
      members: [{ value: user.id }],
    }).expect(201);
    expect(await h.identity.workspaces.forUser(all.id, user.id)).to.deep.equal({
      primary: 'ws-hki',
      workspaces: ['ws-hki', 'ws-lobby'],
    });
    const switched = await h.identity.store.connectors.updateSettings(all.id, { workspaces: { sync: 'primary' } });
    // Entra's next update, a re-sync of the connector: the other workspace stays.
    await entra('patch', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'name.familyName', value: 'Mäkinen' }],
    }).expect(204);
    expect(await h.identity.workspaces.resync(switched)).to.equal(0);
    expect(await h.identity.workspaces.forUser(all.id, user.id)).to.deep.equal({
      primary: 'ws-hki',
      workspaces: ['ws-hki', 'ws-lobby'],
    });
    // Only the primary is maintained: a new primary replaces the old one; the other workspace is still left alone.
    await entra('patch', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: `${WORKSPACE}:primaryWorkspace`, value: 'systam' }],
    }).expect(204);
    expect(await h.identity.workspaces.forUser(all.id, user.id)).to.deep.equal({
      primary: 'ws-main',
      workspaces: ['ws-lobby', 'ws-main'],
    });
  });

  it('advertises the primaryWorkspace extension and no other', async () => {
    expect(await advertisedSchemas(h)).to.deep.equal([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      WORKSPACE,
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
  });
});
