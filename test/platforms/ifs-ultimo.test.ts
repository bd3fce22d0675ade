import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, ENTERPRISE, adminApi, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';
import { entraMappingSheet } from '../../lib/model/entra-mapping-sheet.js';

/** Where the preset keeps `site` ("There is no default Microsoft Entra ID property mapped for this"). */
const ULTIMO = 'urn:ietf:params:scim:schemas:extension:ultimo:2.0:User';

/** The guide's attribute mappings, as Entra sends them. */
function employee(upn: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    userName: upn,
    active: ACTIVE,
    displayName: 'Sam de Vries',
    title: 'Maintenance engineer',
    emails: [{ type: 'work', value: upn, primary: true }],
    name: { givenName: 'Sam', familyName: 'de Vries' },
    phoneNumbers: [
      { type: 'work', value: '+31 20 123 4567', primary: true },
      { type: 'mobile', value: '+31 6 12345678' },
    ],
    [ENTERPRISE]: { employeeNumber: 'E-1042', department: 'Maintenance', organization: 'Rotterdam' },
    ...extra,
  };
}

describeEachDatabase('IFS Ultimo, from the "ifs-ultimo" preset', (db) => {
  let h: ScimHarness;
  let defaultGroupId: string;
  before(async () => {
    h = await startScimHarness(db, { preset: 'ifs-ultimo', admins: true });
    // "New users are added to a default group which can be set in the application": the admin makes it on the admin page.
    const admin = await adminApi(h);
    defaultGroupId = (
      await admin.post(`/connectors/${h.connector.id}/groups`, { displayName: 'Ultimo users' }).expect(201)
    ).body.id;
    await admin.put(`/connectors/${h.connector.id}/default-group`, { groupId: defaultGroupId }).expect(200);
  });
  after(async () => {
    await h.close();
  });

  it('creates a user with profession, phones, employee code, department and company; it joins the default group', async () => {
    const created = await provision(
      h,
      { attribute: 'userName', value: 'sam@contoso.com' },
      employee('sam@contoso.com'),
    );
    expect(created).to.deep.include({
      userName: 'sam@contoso.com',
      displayName: 'Sam de Vries',
      title: 'Maintenance engineer',
      active: true,
    });
    expect(created[ENTERPRISE]).to.deep.equal({
      employeeNumber: 'E-1042',
      department: 'Maintenance',
      organization: 'Rotterdam',
    });
    expect(created.phoneNumbers.map((p: { type: string }) => p.type)).to.deep.equal(['work', 'mobile']);
    const stored = await h.identity.store.users.get(h.connector.id, created.id, { withGroups: true });
    expect(stored?.groups?.map((g) => g.id)).to.deep.equal([defaultGroupId]);
  });

  it('never changes userName after insert, while other attributes update', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'noor@contoso.com' }, employee('noor@contoso.com'));
    await patch(
      h,
      user.id,
      { op: 'Replace', path: 'userName', value: 'noor.renamed@contoso.com' },
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Facilities' },
    ).expect(204);
    const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
    expect(after.userName).to.equal('noor@contoso.com');
    expect(after[ENTERPRISE].department).to.equal('Facilities');
  });

  it('active toggles activation', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'tim@contoso.com' }, employee('tim@contoso.com'));
    await disable(h, user.id).expect(204);
    expect((await h.identity.store.users.get(h.connector.id, user.id))?.active).to.equal(false);
    await patch(h, user.id, { op: 'Replace', path: 'active', value: 'True' }).expect(204);
    expect((await h.identity.store.users.get(h.connector.id, user.id))?.active).to.equal(true);
  });

  it('deletes a user', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'ria@contoso.com' }, employee('ria@contoso.com'));
    await h.scim.delete(`/Users/${user.id}`).expect(204);
    await h.scim.get(`/Users/${user.id}`).expect(404);
  });

  it('refuses groups cleanly with a SCIM error, and does not advertise them', async () => {
    const res = await h.scim
      .post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Team' })
      .expect(403);
    expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(await advertisedSchemas(h)).to.deep.equal([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENTERPRISE,
      ULTIMO,
    ]);
  });

  it("the application's own groups: created, renamed and deleted by an admin, audited; Entra still cannot write them", async () => {
    const admin = await adminApi(h);
    const group = (await admin.post(`/connectors/${h.connector.id}/groups`, { displayName: 'Contractors' }).expect(201))
      .body;
    expect(group).to.deep.include({ displayName: 'Contractors', memberCount: 0 });
    await admin.post(`/connectors/${h.connector.id}/groups`, { displayName: 'Contractors' }).expect(409);
    await admin.post(`/connectors/${h.connector.id}/groups`, { displayName: '  ' }).expect(400);
    expect(
      (
        await admin
          .put(`/connectors/${h.connector.id}/groups/${group.id}`, { displayName: 'External staff' })
          .expect(200)
      ).body.displayName,
    ).to.equal('External staff');
    const listed = (await admin.get(`/connectors/${h.connector.id}/groups`).expect(200)).body.groups.map(
      (g: { displayName: string }) => g.displayName,
    );
    expect(listed).to.include.members(['External staff', 'Ultimo users']);
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Replace', path: 'displayName', value: 'Entra' }],
      })
      .expect(403);
    await admin.delete(`/connectors/${h.connector.id}/groups/${group.id}`).expect(204);
    await admin.delete(`/connectors/${h.connector.id}/groups/${group.id}`).expect(404);
    const log = (await admin.get(`/connectors/${h.connector.id}/audit`).expect(200)).body.events.filter(
      (e: { resourceId: string }) => e.resourceId === group.id,
    );
    expect(log.map((e: { operation: string; actor: string }) => `${e.actor} ${e.operation}`)).to.include.members([
      'admin group.create',
      'admin group.patch',
      'admin group.delete',
    ]);
  });

  it('"User\'s site can be updated": the preset keeps it at an exact target attribute the mapping sheet names', async () => {
    const row = entraMappingSheet(h.connector).find((r) => r.target === `${ULTIMO}:site`);
    expect(row).to.deep.include({ type: 'String', custom: true, multiValued: false, source: null });
    // The admin page's sheet, and its text export, say the same.
    const admin = await adminApi(h);
    expect((await admin.get(`/connectors/${h.connector.id}/entra-mapping`).expect(200)).body.rows).to.deep.include(row);
    const text = await admin
      .get(`/connectors/${h.connector.id}/entra-mapping.txt`)
      .expect(200)
      .expect('Content-Type', /text\/plain/);
    expect(text.text.split('\n')).to.include(`${ULTIMO}:site\tString\tno\tyes\tno\t(your choice)\t`);
    const user = await provision(
      h,
      { attribute: 'userName', value: 'site@contoso.com' },
      employee('site@contoso.com', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, ULTIMO],
        [ULTIMO]: { site: 'Rotterdam plant' },
      }),
    );
    expect(user[ULTIMO]).to.deep.equal({ site: 'Rotterdam plant' });
    await patch(h, user.id, { op: 'Replace', path: `${ULTIMO}:site`, value: 'Delft plant' }).expect(204);
    expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body[ULTIMO]).to.deep.equal({ site: 'Delft plant' });
  });

  it('phones: "the one with primary = true" of the work type is selected, the only one when there is one; the work email is primary', async () => {
    const two = await provision(
      h,
      { attribute: 'userName', value: 'two.phones@contoso.com' },
      employee('two.phones@contoso.com', {
        phoneNumbers: [
          { type: 'mobile', value: '+31 6 1' },
          { type: 'work', value: '+31 20 1' },
          { type: 'work', value: '+31 20 2', primary: true },
        ],
        emails: [
          { type: 'other', value: 'private@home.nl', primary: true },
          { type: 'work', value: 'two.phones@contoso.com' },
        ],
      }),
    );
    const primaryOf = (values: Array<{ primary?: boolean; value: string }>) =>
      values.filter((v) => v.primary).map((v) => v.value);
    expect(primaryOf(two.phoneNumbers)).to.deep.equal(['+31 20 2']);
    expect(primaryOf(two.emails)).to.deep.equal(['two.phones@contoso.com']);
    const one = await provision(
      h,
      { attribute: 'userName', value: 'one.phone@contoso.com' },
      employee('one.phone@contoso.com', {
        phoneNumbers: [
          { type: 'mobile', value: '+31 6 2' },
          { type: 'work', value: '+31 20 3' },
        ],
      }),
    );
    expect(primaryOf(one.phoneNumbers)).to.deep.equal(['+31 20 3']);
    // The host reads the same: the stored document carries the primary.
    const stored = await h.identity.store.users.get(h.connector.id, one.id);
    expect(primaryOf(stored!.document.phoneNumbers as Array<{ value: string }>)).to.deep.equal(['+31 20 3']);
  });
});
