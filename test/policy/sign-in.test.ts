import { expect } from 'chai';
import { discoverRealm } from '../../lib/policy/sign-in.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

describeEachDatabase('Sign-ins through Entra (policy/sign-in.ts)', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const loginRows = async (userId: string) =>
    (await h.store.audit.list(h.connector.id, { limit: 200 })).filter((e) => e.resourceId === userId);

  it("a sign-in produces exactly one audit row, committed with the connector's SSO verification, and login.succeeded after it", async () => {
    expect((await h.store.connectors.get(h.connector.id))!.ssoVerifiedAt).to.equal(null);
    const alice = await h.person();
    let seenAtEvent: unknown;
    const listener = () => {
      seenAtEvent = h.store.audit.list(h.connector.id, { operation: 'login', limit: 5 });
    };
    h.store.events.once('login.succeeded', listener);
    const page = await h.signIn(
      new TestBrowser(),
      h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
      alice.login,
    );
    expect(page.status).to.equal(200);
    // The first sign-in in the tenant also learns the account's Entra object id (its own row, user.sso-link).
    const first = await loginRows(alice.user!.id);
    expect(first.map((e) => [e.operation, e.actor, e.outcome, e.status])).to.have.deep.members([
      ['login', 'sso', 'success', 302],
      ['user.sso-link', 'sso', 'success', 302],
    ]);
    await h.signIn(new TestBrowser(), h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login);
    const rows = (await loginRows(alice.user!.id)).slice(0, -first.length);
    expect(rows.map((e) => [e.operation, e.actor, e.outcome, e.status])).to.deep.equal([
      ['login', 'sso', 'success', 302],
    ]);
    // Marked in the same transaction as the row.
    expect((await h.store.connectors.get(h.connector.id))!.ssoVerifiedAt).to.be.instanceOf(Date);
    // The event fired after commit: a listener reading the log finds the row.
    expect((await (seenAtEvent as Promise<Array<{ resourceId: string | null }>>)).map((e) => e.resourceId)).to.include(
      alice.user!.id,
    );
  });

  it('a refused sign-in (deactivated account) is one failure row, and no login.succeeded', async () => {
    const bob = await h.person({ provision: { active: false } });
    const before = h.loginEvents.succeeded.length;
    const page = await h.signIn(new TestBrowser(), h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), bob.login);
    expect(page.status).to.equal(403);
    const rows = (await loginRows(bob.user!.id)).filter((e) => e.operation === 'login');
    expect(rows.map((e) => [e.operation, e.outcome, e.detail])).to.deep.equal([['login', 'failure', 'user_inactive']]);
    expect(h.loginEvents.succeeded.length).to.equal(before);
    expect(h.loginEvents.failed.at(-1)).to.include({
      connectorId: h.connector.id,
      userId: bob.user!.id,
      reason: 'user_inactive',
    });
  });

  it('home-realm discovery decides once: the one SSO connector, several (not named), or the password page', async () => {
    const carol = await h.person();
    const realm = await discoverRealm(h.store, carol.login.toUpperCase());
    expect(realm.kind === 'sso' && realm.connector.id).to.equal(h.connector.id);
    expect(await discoverRealm(h.store, 'nobody@contoso.example')).to.deep.equal({ kind: 'password' });
    const other = await h.store.connectors.create({
      organizationId: 'org-other',
      name: `second-${carol.user!.id.slice(0, 6)}`,
    });
    await h.provision({ connectorId: other.id, userName: carol.login, loginMethod: 'sso' });
    expect(await discoverRealm(h.store, carol.login)).to.deep.equal({ kind: 'several' });
  });
});
