import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, ENTERPRISE, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

const FOLDERS = 'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName';
const METADATA = 'urn:ietf:params:scim:schemas:extension:2.0:Metadata';

/**
 * The guide's mappings as Entra sends them: first and last name, email as the username, userType
 * (Premium/Standard), folders as a comma-separated string, one Metadata key per attribute, and
 * the app role for web access — here in Entra's default shape, JSON inside a string.
 */
function member(email: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    active: ACTIVE,
    name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ type: 'work', value: email, primary: true }],
    userType: 'Premium',
    [`${FOLDERS}:folders`]: 'Folder 1, Folder 2',
    [`${METADATA}:CostCentre`]: 4711,
    [`${METADATA}:Region`]: 'EMEA',
    roles: JSON.stringify([{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }]),
    ...extra,
  };
}

describeEachDatabase('The modelled platform, from the "modelled-platform" preset', (db) => {
  let h: ScimHarness;
  const TENANT = 'ffffffff-0000-4000-8000-000000000001';
  before(async () => {
    h = await startScimHarness(db, { preset: 'modelled-platform' });
    // The guide's SSO step: client id, tenant issuer and client secret from the app registration.
    const { connector } = await h.identity.configureOidc(h.connector.id, {
      tenantId: TENANT,
      clientId: 'b0a8c1d2-app',
      clientSecret: 'the-secret-value',
    });
    expect(connector.oidc.issuer).to.equal(`https://login.microsoftonline.com/${TENANT}/v2.0`);
  });
  after(async () => {
    await h.close();
  });

  it('creates a user with user type, folders, metadata as strings, and web access from the app role; Entra sign-in by default', async () => {
    const created = await provision(
      h,
      { attribute: 'userName', value: 'grace@contoso.com' },
      member('grace@contoso.com'),
    );
    expect(created).to.deep.include({ userName: 'grace@contoso.com', userType: 'Premium', active: true });
    expect(created[FOLDERS]).to.deep.equal({ folders: ['Folder 1', 'Folder 2'] });
    expect(created[METADATA]).to.deep.equal({ CostCentre: '4711', Region: 'EMEA' });
    const stored = await h.identity.store.users.get(h.connector.id, created.id);
    expect(stored).to.include({ webRole: 'Admin', loginMethod: 'sso' });
  });

  it('without a role, a user has app login only', async () => {
    const created = await provision(
      h,
      { attribute: 'userName', value: 'app.only@contoso.com' },
      member('app.only@contoso.com', { roles: undefined }),
    );
    expect((await h.identity.store.users.get(h.connector.id, created.id))?.webRole).to.equal(null);
  });

  it('requires first and last name, a unique email and a user type of Premium or Standard', async () => {
    await h.scim.post('/Users', member('nameless@contoso.com', { name: { givenName: 'Only' } })).expect(400);
    await h.scim.post('/Users', member('gold@contoso.com', { userType: 'Gold' })).expect(400);
    const taken = await h.scim.post('/Users', member('grace@contoso.com')).expect(409);
    expect(taken.body.scimType).to.equal('uniqueness');
  });

  it('updates profile, folders, metadata and the web role by PATCH', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'alan@contoso.com' }, member('alan@contoso.com'));
    await patch(
      h,
      user.id,
      { op: 'Replace', path: 'userType', value: 'Standard' },
      { op: 'Replace', path: `${FOLDERS}:folders`, value: 'Folder 3' },
      { op: 'Add', path: `${METADATA}:Region`, value: 'APAC' },
      {
        op: 'Replace',
        path: 'roles',
        value: [
          {
            value: JSON.stringify({
              id: '06b07648-ecfe-589f-9d2f-6325724a46ee',
              value: 'ReadOnly',
              displayName: 'ReadOnly',
            }),
          },
        ],
      },
    ).expect(204);
    const after = (await h.scim.get(`/Users/${user.id}`).expect(200)).body;
    expect(after.userType).to.equal('Standard');
    expect(after[FOLDERS].folders).to.deep.equal(['Folder 3']);
    expect(after[METADATA].Region).to.equal('APAC');
    expect((await h.identity.store.users.get(h.connector.id, user.id))?.webRole).to.equal('ReadOnly');
  });

  it('disabling or removing the user in Entra deactivates it on the platform', async () => {
    const user = await provision(h, { attribute: 'userName', value: 'ada@contoso.com' }, member('ada@contoso.com'));
    await disable(h, user.id).expect(204);
    expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.active).to.equal(false);
    await patch(h, user.id, { op: 'Replace', path: 'active', value: 'True' }).expect(204);
    await h.scim.delete(`/Users/${user.id}`).expect(204);
    expect((await h.scim.get(`/Users/${user.id}`).expect(200)).body.active).to.equal(false);
  });

  it('provisions a group with its members', async () => {
    const a = await provision(
      h,
      { attribute: 'userName', value: 'sales.a@contoso.com' },
      member('sales.a@contoso.com'),
    );
    const b = await provision(
      h,
      { attribute: 'userName', value: 'sales.b@contoso.com' },
      member('sales.b@contoso.com'),
    );
    const group = (
      await h.scim
        .post('/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Sales and Marketing',
          externalId: 'grp-1',
        })
        .expect(201)
    ).body;
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Add', path: 'members', value: [{ value: a.id }, { value: b.id }] }],
      })
      .expect(204);
    const read = (await h.scim.get(`/Groups/${group.id}`).expect(200)).body;
    expect(read.displayName).to.equal('Sales and Marketing');
    expect(read.members.map((m: { value: string }) => m.value).sort()).to.deep.equal([a.id, b.id].sort());
  });

  it('the login method toggles per user between Entra and built-in, and provisioning keeps it', async () => {
    const user = await provision(
      h,
      { attribute: 'userName', value: 'contractor@contoso.com' },
      member('contractor@contoso.com'),
    );
    await h.identity.users.setAccess(
      h.connector,
      user.id,
      { loginMethod: 'builtin', password: 'a long enough passphrase' },
      { actor: 'admin' },
    );
    await patch(h, user.id, { op: 'Replace', path: 'name.familyName', value: 'Lovelace' }).expect(204);
    expect((await h.identity.store.users.get(h.connector.id, user.id))?.loginMethod).to.equal('builtin');
  });

  it('advertises the enterprise, folders and Metadata extensions', async () => {
    expect(await advertisedSchemas(h)).to.deep.equal([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENTERPRISE,
      FOLDERS,
      METADATA,
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
  });
});
