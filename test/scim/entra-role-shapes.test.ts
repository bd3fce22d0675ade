import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const APP_ROLE = 'WindowsAzureActiveDirectoryRole';

/**
 * Every shape in which Microsoft Entra sends app-role assignments: real objects (with "True" /
 * "False" strings), JSON inside a string when the tenant lacks the SCIM-compliance feature flag
 * (the whole list in one string, or one string per item for SingleAppRoleAssignment and
 * AppRoleAssignmentsComplex), several assignments at once, and the full set replaced
 * (AssertiveAppRoleAssignmentsComplex). The web role comes from the role map, primary first.
 */
const perItem = (value: string, id = '06b07648-ecfe-589f-9d2f-6325724a46ee') => ({
  value: JSON.stringify({ id, value, displayName: value }),
});

interface PostCase {
  name: string;
  roles: unknown;
  webRole: string | null;
  stored: unknown[];
}

const POST_CASES: PostCase[] = [
  {
    name: 'real objects with "True"/"False" strings',
    roles: [
      { primary: 'False', type: APP_ROLE, value: 'User' },
      { primary: 'True', type: APP_ROLE, value: 'Admin' },
    ],
    webRole: 'Admin',
    stored: [
      { primary: false, type: APP_ROLE, value: 'User' },
      { primary: true, type: APP_ROLE, value: 'Admin' },
    ],
  },
  {
    name: 'the whole list as JSON inside one string',
    roles: JSON.stringify([{ primary: true, type: APP_ROLE, value: 'ReadOnly' }]),
    webRole: 'ReadOnly',
    stored: [{ primary: true, type: APP_ROLE, value: 'ReadOnly' }],
  },
  {
    name: 'one JSON string per item (SingleAppRoleAssignment)',
    roles: [perItem('User')],
    webRole: 'User',
    stored: [{ display: 'User', value: 'User' }],
  },
  {
    name: 'several per-item strings (AppRoleAssignmentsComplex): the highest mapped role',
    roles: [perItem('User'), perItem('EnterpriseAdmin', '11111111-2222-3333-4444-555555555555')],
    webRole: 'EnterpriseAdmin',
    stored: [
      { display: 'User', value: 'User' },
      { display: 'EnterpriseAdmin', value: 'EnterpriseAdmin' },
    ],
  },
  {
    name: 'an unmapped value is stored and gives no web role',
    roles: [{ primary: 'True', type: APP_ROLE, value: 'msiam_access' }],
    webRole: null,
    stored: [{ primary: true, type: APP_ROLE, value: 'msiam_access' }],
  },
];

interface PatchCase {
  name: string;
  operations: unknown[];
  webRole: string | null;
  values: string[];
}

/** Each case starts from a user holding the single role `User`, not marked primary (as AppRoleAssignmentsComplex sends it). */
const PATCH_CASES: PatchCase[] = [
  {
    name: 'Add with path, whole list as a JSON string',
    operations: [
      { op: 'Add', path: 'roles', value: JSON.stringify([{ primary: true, type: APP_ROLE, value: 'Admin' }]) },
    ],
    webRole: 'Admin',
    values: ['User', 'Admin'],
  },
  {
    name: 'Add with path, several per-item strings (AppRoleAssignmentsComplex)',
    operations: [
      {
        op: 'Add',
        path: 'roles',
        value: [perItem('ReadOnly'), perItem('EnterpriseAdmin', '22222222-2222-3333-4444-555555555555')],
      },
    ],
    webRole: 'EnterpriseAdmin',
    values: ['User', 'ReadOnly', 'EnterpriseAdmin'],
  },
  {
    name: 'Add without path, roles as a JSON string inside the value object',
    operations: [
      { op: 'Add', value: { roles: JSON.stringify([{ primary: 'True', type: APP_ROLE, value: 'Admin' }]) } },
    ],
    webRole: 'Admin',
    values: ['User', 'Admin'],
  },
  {
    name: 'Replace with path and the full set (AssertiveAppRoleAssignmentsComplex)',
    operations: [
      {
        op: 'Replace',
        path: 'roles',
        value: [
          { primary: 'False', type: APP_ROLE, value: 'ReadOnly' },
          { primary: 'False', type: APP_ROLE, value: 'Admin' },
        ],
      },
    ],
    webRole: 'Admin',
    values: ['ReadOnly', 'Admin'],
  },
  {
    name: 'Replace without path, per-item strings',
    operations: [{ op: 'Replace', value: { roles: [perItem('ReadOnly')] } }],
    webRole: 'ReadOnly',
    values: ['ReadOnly'],
  },
  {
    name: 'Remove with path and a per-item string value takes out that role only',
    operations: [
      { op: 'Add', path: 'roles', value: [perItem('Admin')] },
      { op: 'Remove', path: 'roles', value: [perItem('Admin')] },
    ],
    webRole: 'User',
    values: ['User'],
  },
  {
    name: 'Remove with path and no value clears the roles: app login only',
    operations: [{ op: 'Remove', path: 'roles' }],
    webRole: null,
    values: [],
  },
  {
    name: 'Add of an unmapped value beside a mapped one is no 400',
    operations: [{ op: 'Add', path: 'roles', value: JSON.stringify([{ primary: true, value: 'Approver' }]) }],
    webRole: 'User',
    values: ['User', 'Approver'],
  },
];

describeEachDatabase('App roles in every shape Entra sends', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  const webRole = async (id: string) => (await h.identity.store.users.get(h.connector.id, id))?.webRole ?? null;

  describe('POST /Users', () => {
    POST_CASES.forEach((c, i) => {
      it(c.name, async () => {
        const res = await h.scim.post('/Users', entraUser(`post${i}@contoso.com`, { roles: c.roles })).expect(201);
        expect(res.body.roles).to.deep.equal(c.stored);
        expect(await webRole(res.body.id)).to.equal(c.webRole);
      });
    });

    it('notes unmapped values in the audit log', async () => {
      const res = await h.scim
        .post('/Users', entraUser('audited@contoso.com', { roles: [perItem('msiam_access')] }))
        .expect(201);
      const events = await h.identity.store.audit.list(h.connector.id, { operation: 'user.create' });
      const created = events.find((e) => e.resourceId === res.body.id);
      expect(JSON.parse(created!.detail!).unmappedRoles).to.deep.equal(['msiam_access']);
    });
  });

  describe('PATCH /Users/{id}', () => {
    PATCH_CASES.forEach((c, i) => {
      it(c.name, async () => {
        const user = (
          await h.scim
            .post(
              '/Users',
              entraUser(`patch${i}@contoso.com`, { roles: [{ primary: 'False', type: APP_ROLE, value: 'User' }] }),
            )
            .expect(201)
        ).body;
        await h.scim.patch(`/Users/${user.id}`, { schemas: [PATCH], Operations: c.operations }).expect(204);
        const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
        expect((after.roles ?? []).map((r: { value: string }) => r.value)).to.deep.equal(c.values);
        expect(await webRole(user.id)).to.equal(c.webRole);
      });
    });
  });

  /**
   * The modelled platform (002): "If you wish to assign web portal access, then you must specify one
   * of the following Role values". Entra without its feature flag replaces the whole list as one
   * JSON string of `{id, value, displayName}` entries, and later removes an assignment with that
   * same entry as a JSON string: the role goes, and the web role is recomputed.
   */
  describe("a role that arrived in the whole list as one JSON string is removed by Entra's Remove of that entry", () => {
    const admin = { id: '06b07648-ecfe-589f-9d2f-6325724a46ee', value: 'Admin', displayName: 'Admin' };
    const readOnly = { id: '7a1b2c3d-ecfe-589f-9d2f-6325724a46ee', value: 'ReadOnly', displayName: 'ReadOnly' };
    const patchOps = (id: string, ...operations: unknown[]) =>
      h.scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: operations }).expect(204);

    it('keeps what Entra sent (the displayName as display), and the Remove leaves no role: app login only', async () => {
      const user = (await h.scim.post('/Users', entraUser('json.list@contoso.com')).expect(201)).body;
      await patchOps(user.id, { op: 'Replace', path: 'roles', value: JSON.stringify([admin]) });
      expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.roles).to.deep.equal([
        { display: 'Admin', value: 'Admin' },
      ]);
      expect(await webRole(user.id)).to.equal('Admin');
      await patchOps(user.id, { op: 'Remove', path: 'roles', value: [{ value: JSON.stringify(admin) }] });
      expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.roles).to.equal(undefined);
      expect(await webRole(user.id)).to.equal(null);
    });

    it('removes only that entry: the web role falls to the role left', async () => {
      const user = (await h.scim.post('/Users', entraUser('json.two@contoso.com')).expect(201)).body;
      await patchOps(user.id, { op: 'Replace', path: 'roles', value: JSON.stringify([readOnly, admin]) });
      expect(await webRole(user.id)).to.equal('Admin');
      await patchOps(user.id, { op: 'Remove', path: 'roles', value: JSON.stringify(admin) });
      expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.roles).to.deep.equal([
        { display: 'ReadOnly', value: 'ReadOnly' },
      ]);
      expect(await webRole(user.id)).to.equal('ReadOnly');
    });

    it('matches on value a role stored with its value alone (before the display was kept)', async () => {
      const user = (
        await h.scim.post('/Users', entraUser('value.only@contoso.com', { roles: [{ value: 'Admin' }] })).expect(201)
      ).body;
      expect(await webRole(user.id)).to.equal('Admin');
      await patchOps(user.id, { op: 'Remove', path: 'roles', value: [{ value: JSON.stringify(admin) }] });
      expect(await webRole(user.id)).to.equal(null);
    });

    it('a Remove naming another role leaves this one', async () => {
      const user = (await h.scim.post('/Users', entraUser('other.role@contoso.com')).expect(201)).body;
      await patchOps(user.id, { op: 'Replace', path: 'roles', value: JSON.stringify([admin]) });
      await patchOps(user.id, { op: 'Remove', path: 'roles', value: [{ value: JSON.stringify(readOnly) }] });
      expect(await webRole(user.id)).to.equal('Admin');
    });
  });
});
