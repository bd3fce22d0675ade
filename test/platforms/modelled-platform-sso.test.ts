import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { configureOidc } from '../../lib/sso/configure.js';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import {
  MOUNT,
  OTHER_TENANT,
  RP_CLIENT_ID,
  RP_CLIENT_SECRET,
  TENANT,
  startHostHarness,
  type HostHarness,
} from '../support/host-harness.js';
import { expectRefused } from '../sso/refusal-helpers.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The modelled platform (002): "Authenticate users when they log in via our web portal or apps",
 * with the guide's own setup only — its attribute mappings are first and last name, email,
 * userType and roles; it never asks the admin to change Entra's default `externalId` mapping
 * (mailNickname). Sign-in must find the user Entra provisioned either way, and learn the Entra
 * object id, never trusting a name or an email claim from another tenant or without verification.
 */
describeEachDatabase("The modelled platform: single sign-on with the guide's mappings", (db) => {
  let h: HostHarness;
  let connector: Connector;
  let token: string;

  before(async () => {
    h = await startHostHarness(db);
    const created = await h.store.connectors.create({
      organizationId: 'org-modelled',
      name: 'Azure Active Directory',
      preset: 'modelled-platform',
    });
    // "Copy the Directory (tenant) ID and combine it with the default azure login URL": here the test provider's issuer and its tenant.
    ({ connector } = await configureOidc(h.runtime, created.id, {
      issuer: h.provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    }));
    ({ token } = await h.store.tokens.create(connector.id));
  });
  after(async () => {
    await h?.close();
  });

  /** An Entra user assigned to the app: its account at the provider and the SCIM POST Entra sends. */
  async function assigned(externalId: (oid: string, login: string) => string) {
    const person = await h.person({ provision: false });
    const oid = String(person.claims.oid);
    const body = {
      schemas: [CORE],
      userName: person.login,
      externalId: externalId(oid, person.login),
      active: true,
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [{ type: 'work', value: person.login, primary: true }],
      userType: 'Premium',
      roles: JSON.stringify([{ primary: true, type: 'WindowsAzureActiveDirectoryRole', value: 'User' }]),
    };
    const res = await request(h.appOrigin)
      .post(`${MOUNT}/scim/v2/Users`)
      .set('Authorization', `Bearer ${token}`)
      .send(body)
      .expect(201);
    return { ...person, oid, id: String(res.body.id) };
  }
  const mailNickname = (_oid: string, login: string) => login.split('@')[0];
  const signIn = async (login: string) => {
    const browser = new TestBrowser();
    return { browser, page: await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${connector.id}`), login) };
  };
  const signedInAs = (body: string, userName: string) =>
    expect(body).to.include(`Signed in as <strong id="signed-in-user">${userName}</strong>`);
  const stored = async (id: string) => (await h.store.users.get(connector.id, id))!;

  describe("Entra's default mapping: externalId = mailNickname", () => {
    it('signs the user in, and learns the Entra object id from that first sign-in in the tenant', async () => {
      const grace = await assigned(mailNickname);
      expect((await stored(grace.id)).entraObjectId).to.equal(null);
      const { page } = await signIn(grace.login);
      expect(page.status).to.equal(200);
      signedInAs(page.body, grace.login);
      const user = await stored(grace.id);
      expect(user).to.include({ externalId: grace.login.split('@')[0], entraObjectId: grace.oid });
      const [linked] = await h.store.audit.list(connector.id, { operation: 'user.sso-link', resourceId: grace.id });
      expect(JSON.parse(linked.detail!)).to.include({ entraObjectId: grace.oid });
    });

    it('then finds the user by object id, even after the UPN changes on both sides', async () => {
      const alan = await assigned(mailNickname);
      await signIn(alan.login);
      const renamed = `renamed.${randomUUID().slice(0, 6)}@contoso.example`;
      await request(h.appOrigin)
        .patch(`${MOUNT}/scim/v2/Users/${alan.id}`)
        .set('Authorization', `Bearer ${token}`)
        .send({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [
            { op: 'Replace', path: 'userName', value: renamed },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: renamed },
          ],
        })
        .expect(204);
      h.accounts.set(renamed, { ...alan.claims, preferred_username: renamed, email: renamed });
      const { page } = await signIn(renamed);
      signedInAs(page.body, renamed);
      const [entry] = await h.store.audit.list(connector.id, { operation: 'login', limit: 1 });
      expect(entry).to.include({ outcome: 'success', resourceId: alan.id, detail: 'matched by oid' });
    });

    it('refuses another account that later takes the same name (a recycled UPN): 403 external_id_mismatch', async () => {
      const first = await assigned(mailNickname);
      await signIn(first.login);
      h.accounts.set(first.login, { ...first.claims, oid: randomUUID() });
      const { browser, page } = await signIn(first.login);
      await expectRefused(h, browser, page, 'external_id_mismatch');
    });

    it('nOAuth: an account of another tenant with the same name is refused (403 tenant_mismatch) and nothing is learnt', async () => {
      const target = await assigned(mailNickname);
      h.accounts.set(target.login, { ...target.claims, oid: randomUUID(), tid: OTHER_TENANT });
      const { browser, page } = await signIn(target.login);
      await expectRefused(h, browser, page, 'tenant_mismatch');
      expect((await stored(target.id)).entraObjectId).to.equal(null);
    });

    it('nOAuth: an unverified email claim naming the user is not trusted on its own (403 no_such_user)', async () => {
      await h.store.connectors.updateSettings(connector.id, { ssoMatchClaims: ['email'] });
      try {
        const target = await assigned(mailNickname);
        const attacker = await h.person({ provision: false, claims: { email: target.login } });
        const { browser, page } = await signIn(attacker.login);
        await expectRefused(h, browser, page, 'no_such_user');
        expect((await stored(target.id)).entraObjectId).to.equal(null);
      } finally {
        await h.store.connectors.updateSettings(connector.id, { ssoMatchClaims: ['preferred_username', 'upn'] });
      }
    });
  });

  describe('the objectId → externalId mapping', () => {
    it('records the object id from SCIM, before any sign-in, and signs the user in by it', async () => {
      const ada = await assigned((oid) => oid.toUpperCase());
      expect((await stored(ada.id)).entraObjectId).to.equal(ada.oid);
      const { page } = await signIn(ada.login);
      signedInAs(page.body, ada.login);
      const [entry] = await h.store.audit.list(connector.id, { operation: 'login', limit: 1 });
      expect(entry).to.include({ resourceId: ada.id, detail: 'matched by oid' });
    });

    it('refuses an account whose name matches a user provisioned for another object id: 403 external_id_mismatch', async () => {
      const other = await assigned(() => randomUUID());
      const { browser, page } = await signIn(other.login);
      await expectRefused(h, browser, page, 'external_id_mismatch');
    });
  });
});
