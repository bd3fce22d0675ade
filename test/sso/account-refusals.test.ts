import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { expectRefused } from './refusal-helpers.js';

describeEachDatabase('Refusing an Entra account that may not sign in', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const loginUrl = () => h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`);
  const signIn = async (login: string) => {
    const browser = new TestBrowser();
    return { browser, page: await h.signIn(browser, loginUrl(), login) };
  };

  describe('no matching user', () => {
    it('refuses an account that was never provisioned, when just-in-time provisioning is off (the default) (403 no_such_user)', async () => {
      expect(h.connector.settings.ssoJitProvisioning).to.equal(false);
      const stranger = await h.person({ provision: false });
      const { browser, page } = await signIn(stranger.login);
      await expectRefused(h, browser, page, 'no_such_user');
      expect(await h.store.users.findByUserName(h.connector.id, stranger.login)).to.equal(undefined);
    });

    it('does not match on an unverified email claim alone (403 no_such_user)', async () => {
      await h.store.connectors.updateSettings(h.connector.id, { ssoMatchClaims: ['email'] });
      try {
        const target = await h.provision({
          userName: `victim.${randomUUID().slice(0, 6)}@contoso.example`,
          externalId: null,
        });
        // An account whose admin-set (unverified) email is someone else's address.
        const attacker = await h.person({ provision: false, claims: { email: target.userName } });
        const { browser, page } = await signIn(attacker.login);
        await expectRefused(h, browser, page, 'no_such_user');
      } finally {
        await h.store.connectors.updateSettings(h.connector.id, { ssoMatchClaims: ['preferred_username', 'upn'] });
      }
    });

    it('matches on the email claim when Entra marks it verified', async () => {
      await h.store.connectors.updateSettings(h.connector.id, { ssoMatchClaims: ['email'] });
      try {
        const user = await h.provision({
          userName: `verified.${randomUUID().slice(0, 6)}@contoso.example`,
          externalId: null,
        });
        const person = await h.person({ provision: false, claims: { email: user.userName, email_verified: true } });
        const { page } = await signIn(person.login);
        expect(page.body).to.include(`Signed in as <strong id="signed-in-user">${user.userName}</strong>`);
      } finally {
        await h.store.connectors.updateSettings(h.connector.id, { ssoMatchClaims: ['preferred_username', 'upn'] });
      }
    });

    it('matches on upn when preferred_username does not match', async () => {
      const user = await h.provision({ userName: `upn.${randomUUID().slice(0, 6)}@contoso.example`, externalId: null });
      const person = await h.person({ provision: false, claims: { upn: user.userName } });
      const { page } = await signIn(person.login);
      expect(page.body).to.include(`Signed in as <strong id="signed-in-user">${user.userName}</strong>`);
    });
  });

  describe('a match that cannot be trusted', () => {
    it("refuses a user found by userName whose externalId is another account's oid (403 external_id_mismatch)", async () => {
      const person = await h.person({ provision: { externalId: randomUUID() } });
      const { browser, page } = await signIn(person.login);
      await expectRefused(h, browser, page, 'external_id_mismatch');
      expect(h.loginEvents.failed.at(-1)?.userId).to.equal(person.user!.id);
    });

    it('refuses when several users share the oid as externalId (403 ambiguous_user)', async () => {
      const person = await h.person();
      await h.provision({
        userName: `twin.${randomUUID().slice(0, 6)}@contoso.example`,
        externalId: String(person.claims.oid),
      });
      const { browser, page } = await signIn(person.login);
      await expectRefused(h, browser, page, 'ambiguous_user');
    });
  });

  describe('what the matched user may do', () => {
    it('refuses a user deactivated through the store (403 user_inactive)', async () => {
      const person = await h.person();
      await h.runtime.users.update(
        h.connector,
        person.user!.id,
        'user.deactivate',
        (u) => ({ ...u.document, active: false }),
        { actor: 'host' },
      );
      const { browser, page } = await signIn(person.login);
      await expectRefused(h, browser, page, 'user_inactive');
      expect(page.body).to.include('deactivated');
    });

    it('refuses a user whose login method is builtin (403 builtin_login_method)', async () => {
      const person = await h.person({ provision: { loginMethod: 'builtin' } });
      const { browser, page } = await signIn(person.login);
      await expectRefused(h, browser, page, 'builtin_login_method');
      expect(page.body).to.include('href="/login"');
    });

    it('refuses a user without a web access role: app login only (403 no_web_role)', async () => {
      const person = await h.person({ provision: { webRole: null } });
      const { browser, page } = await signIn(person.login);
      await expectRefused(h, browser, page, 'no_web_role');
    });

    it('lets the user in once an admin changes what refused them', async () => {
      const person = await h.person({ provision: { webRole: null } });
      const refused = await signIn(person.login);
      await expectRefused(h, refused.browser, refused.page, 'no_web_role');
      await h.runtime.users.setAccess(h.connector, person.user!.id, { webRole: 'ReadOnly' }, { actor: 'host' });
      const { page } = await signIn(person.login);
      expect(page.body).to.include('signed-in-user');
    });
  });
});
