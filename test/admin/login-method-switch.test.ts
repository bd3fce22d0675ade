import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient } from './admin-client.js';

/** Switching login methods without locking anyone out: SSO must have worked, own row and bulk confirmed. */
describeEachDatabase('Login-method switches that cannot lock anyone out', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const signInOnce = async () => {
    const someone = await h.person();
    const page = await h.signIn(
      new TestBrowser(),
      h.url(`/identity/sso/login?connector=${h.connector.id}`),
      someone.login,
    );
    expect(page.status).to.equal(200);
  };
  const builtin = (tag = randomUUID().slice(0, 6)) =>
    h.provision({ userName: `local.${tag}@contoso.example`, loginMethod: 'builtin', webRole: 'EnterpriseAdmin' });

  it('refuses a switch to SSO while no sign-in through the connector ever completed (409 sso_unverified, audited), and allows it after one', async () => {
    const admin = await adminClient(h);
    const user = await builtin();
    const refused = await admin.put(`/users/${user.id}/login-method`, {
      connectorId: h.connector.id,
      loginMethod: 'sso',
    });
    expect(refused.status).to.equal(409);
    expect(refused.body.error).to.equal('sso_unverified');
    const [entry] = await h.store.audit.list(h.connector.id, { operation: 'user.login-method', limit: 1 });
    expect(entry).to.include({ outcome: 'failure', status: 409, resourceId: user.id });
    expect(JSON.parse(entry.detail!)).to.include({ reason: 'sso_unverified', from: 'builtin', to: 'sso' });

    await signInOnce();
    expect((await h.store.connectors.get(h.connector.id))!.ssoVerifiedAt).to.be.instanceOf(Date);
    expect(
      (await admin.put(`/users/${user.id}/login-method`, { connectorId: h.connector.id, loginMethod: 'sso' })).status,
    ).to.equal(200);
  });

  it('forgets the verification when the OIDC settings change (new settings have not been shown to work)', async () => {
    await signInOnce();
    const admin = await adminClient(h);
    const current = (await h.store.connectors.get(h.connector.id))!;
    expect(
      (
        await admin.put(`/connectors/${h.connector.id}/oidc`, {
          issuer: current.oidc.issuer,
          clientId: current.oidc.clientId,
        })
      ).status,
    ).to.equal(200);
    expect((await h.store.connectors.get(h.connector.id))!.ssoVerifiedAt).to.equal(null);
    const user = await builtin();
    expect(
      (await admin.put(`/users/${user.id}/login-method`, { connectorId: h.connector.id, loginMethod: 'sso' })).body
        .error,
    ).to.equal('sso_unverified');
    await signInOnce();
  });

  it('asks the admin to confirm a switch of their own row (409 confirmation_required), then switches with confirm: true', async () => {
    await signInOnce();
    const me = await builtin();
    // The harness's currentUser is { connectorId: 'host', userId: x-test-user }: make it this connector's user.
    h.runtime.options.currentUser = () => ({ connectorId: h.connector.id, userId: me.id });
    try {
      const admin = await adminClient(h, me.id);
      const own = { connectorId: h.connector.id, loginMethod: 'sso' };
      const asked = await admin.put(`/users/${me.id}/login-method`, own);
      expect(asked.status).to.equal(409);
      expect(asked.body).to.include({ error: 'confirmation_required' });
      expect(asked.body.message).to.include('your own account');
      expect((await h.store.users.get(h.connector.id, me.id))!.loginMethod).to.equal('builtin');
      expect((await admin.put(`/users/${me.id}/login-method`, { ...own, confirm: true })).status).to.equal(200);
    } finally {
      h.runtime.options.currentUser = undefined;
    }
  });

  it("switches a connector's users in bulk only with a confirmation naming the count, one audited write each", async () => {
    await signInOnce();
    const connector = await h.store.connectors.create({
      organizationId: `org-${randomUUID().slice(0, 6)}`,
      name: 'Bulk',
    });
    // Configured means issuer, client id and secret: the one "is SSO configured?" (policy/login-method.ts).
    await h.store.connectors.setOidc(connector.id, {
      ...h.connector.oidc,
      issuer: h.connector.oidc.issuer!,
      clientId: h.connector.oidc.clientId!,
      clientSecretEncrypted: h.runtime.secrets.encrypt('secret'),
    });
    await h.store.connectors.markSsoVerified(connector.id);
    const users = await Promise.all(
      [1, 2, 3].map((i) =>
        h.provision({ connectorId: connector.id, userName: `bulk${i}@contoso.example`, loginMethod: 'builtin' }),
      ),
    );
    await h.provision({ connectorId: connector.id, userName: 'already@contoso.example', loginMethod: 'sso' });
    const admin = await adminClient(h);

    const asked = await admin.post(`/connectors/${connector.id}/login-method`, { loginMethod: 'sso' });
    expect(asked.status).to.equal(409);
    expect(asked.body).to.include({
      error: 'confirmation_required',
      count: 3,
      message: 'Switch 3 users to Entra SSO?',
    });
    expect(
      (await admin.post(`/connectors/${connector.id}/login-method`, { loginMethod: 'sso', confirmCount: 2 })).status,
      'a stale count',
    ).to.equal(409);

    const selection = await admin.post(`/connectors/${connector.id}/login-method`, {
      loginMethod: 'sso',
      userIds: [users[0].id],
      confirmCount: 1,
    });
    expect(selection.body).to.deep.equal({ switched: 1, loginMethod: 'sso' });
    const rest = await admin.post(`/connectors/${connector.id}/login-method`, { loginMethod: 'sso', confirmCount: 2 });
    expect(rest.body).to.deep.equal({ switched: 2, loginMethod: 'sso' });
    for (const u of users) expect((await h.store.users.get(connector.id, u.id))!.loginMethod).to.equal('sso');
    expect(await h.store.audit.list(connector.id, { operation: 'user.login-method' })).to.have.length(3);
  });

  it('refuses a bulk switch to SSO on a connector whose SSO never worked', async () => {
    const bare = await h.store.connectors.create({ organizationId: `org-${randomUUID().slice(0, 6)}`, name: 'Bare' });
    await h.provision({ connectorId: bare.id, userName: 'bare@contoso.example', loginMethod: 'builtin' });
    const response = await (
      await adminClient(h)
    ).post(`/connectors/${bare.id}/login-method`, { loginMethod: 'sso', confirmCount: 1 });
    expect(response.status).to.equal(409);
    expect(response.body.error).to.equal('sso_not_configured');
  });

  it("gives newly provisioned users the connector's newUserLoginMethod (auto: SSO once OIDC is set)", async () => {
    const create = (n: string) =>
      h.runtime.users.create(
        h.connector,
        { userName: `${n}.${randomUUID().slice(0, 6)}@contoso.example`, active: true },
        { actor: 'scim' },
      );
    expect((await create('auto')).loginMethod).to.equal('sso');
    await h.store.connectors.updateSettings(h.connector.id, { newUserLoginMethod: 'builtin' });
    h.connector = (await h.store.connectors.get(h.connector.id))!;
    expect((await create('builtin')).loginMethod).to.equal('builtin');
    await h.store.connectors.updateSettings(h.connector.id, { newUserLoginMethod: 'auto' });
    h.connector = (await h.store.connectors.get(h.connector.id))!;
  });
});
