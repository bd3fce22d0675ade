import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { SecretBox } from '../../lib/crypto/secret-box.js';
import { IdentityEvents } from '../../lib/model/events.js';
import type { Runtime } from '../../lib/web/runtime.js';
import { createSsoRouter } from '../../lib/sso/routes.js';
import { IdentityStore } from '../../lib/store/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { COOKIE as SESSION_COOKIE, TestSessions } from '../support/fixtures/sessions.js';
import {
  locationOf,
  MOUNT,
  RP_CLIENT_SECRET,
  SECRET_KEY,
  startHostHarness,
  type HostHarness,
} from '../support/host-harness.js';

describeEachDatabase('Signing in through Entra ID', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  describe('the authorization request', () => {
    it('uses the code flow with PKCE (S256), state, nonce and the exact redirect URI', async () => {
      const browser = new TestBrowser();
      const page = await browser.request(h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`));
      expect(page.status).to.equal(302);
      const authorize = new URL(locationOf(page));
      expect(authorize.origin).to.equal(h.provider.origin);
      expect(authorize.pathname).to.equal('/auth');
      const p = authorize.searchParams;
      expect(p.get('response_type')).to.equal('code');
      expect(p.get('client_id')).to.equal('rp-client');
      expect(p.get('redirect_uri')).to.equal(`${h.appOrigin}${MOUNT}/sso/callback`);
      expect(p.get('code_challenge_method')).to.equal('S256');
      expect(p.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(p.get('state')).to.match(/^[A-Za-z0-9_-]{20,}$/);
      expect(p.get('nonce')).to.match(/^[A-Za-z0-9_-]{20,}$/);
      expect(p.get('scope')!.split(' ')).to.include.members(['openid', 'profile', 'email']);
    });

    it('keeps the transaction in a signed, HttpOnly, SameSite=Lax cookie scoped to the callback path that expires in 10 minutes', async () => {
      const browser = new TestBrowser();
      const page = await browser.request(h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`));
      const setCookie = page.headers.getSetCookie().find((c) => c.startsWith('idc_sso_tx_'))!;
      expect(setCookie).to.be.a('string');
      expect(setCookie).to.match(/; Path=\/identity\/sso\/callback(;|$)/);
      expect(setCookie).to.match(/; HttpOnly/i);
      expect(setCookie).to.match(/; SameSite=Lax/i);
      expect(setCookie).to.match(/; Max-Age=600(;|$)/);
      // Signed, not a bare value: the payload is followed by an HMAC.
      const value = decodeURIComponent(setCookie.split(';')[0].split('=').slice(1).join('='));
      expect(value.split('.')).to.have.length(2);
      expect(value).to.not.include(RP_CLIENT_SECRET);
    });

    it('refuses to start for an unknown connector', async () => {
      const page = await new TestBrowser().request(h.url(`${MOUNT}/sso/login?connector=nope`));
      expect(page.status).to.equal(404);
      expect(page.body).to.include('Unknown organization');
    });
  });

  describe('a provisioned user with a web role', () => {
    it('lands signed in on the host, with a new session id, a login.succeeded event and an audit entry', async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      // A session exists before sign-in (e.g. an anonymous visit): its id must not survive.
      await browser.request(h.url('/'));
      const before = browser.cookie(new URL(h.appOrigin).host, SESSION_COOKIE)?.value;
      expect(before).to.be.a('string');

      const page = await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login);
      expect(page.status).to.equal(200);
      expect(page.url).to.equal(`${h.appOrigin}/`);
      expect(page.body).to.include(`Signed in as <strong id="signed-in-user">${alice.login}</strong>`);

      const after = browser.cookie(new URL(h.appOrigin).host, SESSION_COOKIE)?.value;
      expect(after, 'session id after sign-in').to.be.a('string').and.not.equal(before);
      expect(h.sessions.data.has(before!), 'the pre-login session is gone').to.equal(false);

      expect(h.loginEvents.succeeded.at(-1)).to.include({ connectorId: h.connector.id, userId: alice.user!.id });
      const [entry] = await h.store.audit.list(h.connector.id, { operation: 'login', limit: 1 });
      expect(entry).to.include({
        actor: 'sso',
        outcome: 'success',
        resourceId: alice.user!.id,
        detail: 'matched by oid',
      });
    });

    it('consumes the transaction cookie and remembers the connector for logout', async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login);
      expect(browser.cookies.filter((c) => c.name.startsWith('idc_sso_tx_'))).to.deep.equal([]);
      const remembered = browser.cookies.find((c) => c.name === 'idc_sso_connector');
      expect(remembered?.path).to.equal(`${MOUNT}/sso/logout`);
    });

    it('returns to the same-origin path given as returnTo', async () => {
      const alice = await h.person();
      const page = await h.signIn(
        new TestBrowser(),
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}&returnTo=${encodeURIComponent('/reports?range=7d')}`),
        alice.login,
      );
      expect(page.url).to.equal(`${h.appOrigin}/reports?range=7d`);
      expect(page.body).to.include(alice.login);
    });

    it('never logs the client secret, the authorization code or tokens', async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      const stopped = await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login, {
        stopAtCallback: true,
      });
      const code = new URL(locationOf(stopped)).searchParams.get('code')!;
      await browser.follow(locationOf(stopped));
      const all = h.logs.join('\n');
      expect(all).to.not.include(RP_CLIENT_SECRET);
      expect(all).to.not.include(code);
      expect(all).to.not.match(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/); // no JWT
    });
  });

  describe('behind a load balancer', () => {
    it('finishes on another instance a sign-in that one instance started (the transaction is in the cookie)', async () => {
      const alice = await h.person();
      const browser = new TestBrowser();
      const stopped = await h.signIn(browser, h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), alice.login, {
        stopAtCallback: true,
      });
      const callback = new URL(locationOf(stopped));

      // Instance B: its own store object, discovery cache, SecretBox and sessions; same database and secretKey.
      const events = new IdentityEvents();
      const runtimeB: Runtime = {
        ...h.runtime,
        store: new IdentityStore(h.knex, h.runtime.options.tablePrefix, events),
        events,
        secrets: new SecretBox(SECRET_KEY),
      };
      const sessionsB = new TestSessions();
      const instanceB = express().use(sessionsB.middleware()).use(`${MOUNT}/sso`, createSsoRouter(runtimeB));
      const response = await request(instanceB)
        .get(`${callback.pathname}${callback.search}`)
        .set('Cookie', browser.cookieHeader(callback));
      expect(response.status).to.equal(302);
      expect(response.headers.location).to.equal('/');
      expect([...sessionsB.data.values()].map((s) => s.user?.userId)).to.include(alice.user!.id);
    });
  });

  describe('matching the Entra account to a user', () => {
    it('matches by preferred_username when the user has no externalId yet', async () => {
      const bob = await h.person({ provision: { externalId: null } });
      const page = await h.signIn(
        new TestBrowser(),
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
        bob.login,
      );
      expect(page.body).to.include(`Signed in as <strong id="signed-in-user">${bob.login}</strong>`);
      const [entry] = await h.store.audit.list(h.connector.id, { operation: 'login', limit: 1 });
      expect(entry.detail).to.equal('matched by preferred_username');
    });

    it('matches userName case-insensitively', async () => {
      const carol = await h.person({ provision: { externalId: null } });
      await h.runtime.users.update(
        h.connector,
        carol.user!.id,
        'user.rename',
        (u) => ({ ...u.document, userName: carol.login.toUpperCase() }),
        { actor: 'host' },
      );
      const page = await h.signIn(
        new TestBrowser(),
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
        carol.login,
      );
      expect(page.body).to.include('signed-in-user');
    });
  });

  describe('just-in-time provisioning (ssoJitProvisioning)', () => {
    afterEach(async () => {
      await h.store.connectors.updateSettings(h.connector.id, { ssoJitProvisioning: false });
    });

    it('creates an unknown user with login method sso, externalId = oid and userName from the claim, when enabled', async () => {
      await h.store.connectors.updateSettings(h.connector.id, { ssoJitProvisioning: true });
      const dave = await h.person({ provision: false, claims: { roles: ['User'] } });
      const page = await h.signIn(
        new TestBrowser(),
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
        dave.login,
      );
      expect(page.body).to.include('signed-in-user');
      const user = await h.store.users.findByUserName(h.connector.id, dave.login);
      expect(user).to.include({
        loginMethod: 'sso',
        externalId: dave.claims.oid,
        userName: dave.login,
        webRole: 'User',
        active: true,
      });
      const [created] = await h.store.audit.list(h.connector.id, { operation: 'user.create', limit: 1 });
      expect(created).to.include({ actor: 'sso', outcome: 'success', resourceId: user!.id });
    });

    it("applies the connector's attribute rules as SCIM creation does: a missing required attribute refuses the account (jit_refused)", async () => {
      await h.store.connectors.updateSettings(h.connector.id, {
        ssoJitProvisioning: true,
        requiredAttributes: ['name.familyName'],
      });
      try {
        const frank = await h.person({ provision: false, claims: { roles: ['User'] } });
        const page = await h.signIn(
          new TestBrowser(),
          h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
          frank.login,
        );
        expect(page.status).to.equal(403);
        expect(page.body).to.include('jit_refused');
        expect(await h.store.users.findByUserName(h.connector.id, frank.login)).to.equal(undefined);
      } finally {
        await h.store.connectors.updateSettings(h.connector.id, { requiredAttributes: [] });
      }
    });

    it('gives a just-in-time user without an app role app access only (refused on the web)', async () => {
      await h.store.connectors.updateSettings(h.connector.id, { ssoJitProvisioning: true });
      const erin = await h.person({ provision: false });
      const page = await h.signIn(
        new TestBrowser(),
        h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`),
        erin.login,
      );
      expect(page.status).to.equal(403);
      expect(page.body).to.include('no_web_role');
      expect(await h.store.users.findByUserName(h.connector.id, erin.login)).to.include({
        webRole: null,
        loginMethod: 'sso',
      });
    });
  });
});
