import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import express from 'express';
import { createSsoRouter } from '../../lib/sso/routes.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { locationOf, MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

describeEachDatabase('Home-realm discovery on the sign-in page', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const signInPage = () => h.url(`${MOUNT}/sso/signin`);

  it('shows an email field at /sso/ and /sso/signin, with no-store and a strict CSP', async () => {
    for (const path of [`${MOUNT}/sso/`, `${MOUNT}/sso/signin`]) {
      const page = await new TestBrowser().request(h.url(path));
      expect(page.status).to.equal(200);
      expect(page.body).to.match(/<input id="email" name="email" type="email"/);
      expect(page.body).to.include(`action="${MOUNT}/sso/signin"`);
      expect(page.headers.get('cache-control')).to.equal('no-store');
      expect(page.headers.get('content-security-policy')).to.include("default-src 'none'");
    }
  });

  it('escapes what it echoes back into the page', async () => {
    const page = await new TestBrowser().request(signInPage(), {
      form: { email: '"><script>alert(1)</script>', returnTo: '/x"><script>' },
    });
    expect(page.status).to.equal(400);
    expect(page.body).to.not.include('<script>');
    expect(page.body).to.include('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page.body).to.include('name="returnTo" value="/x%22%3E%3Cscript%3E"');
  });

  it("sends an sso user to the connector's Entra authorize URL with login_hint", async () => {
    const alice = await h.person();
    const page = await new TestBrowser().request(signInPage(), {
      form: { email: alice.login.toUpperCase(), returnTo: '/reports' },
    });
    expect(page.status).to.equal(303);
    const authorize = new URL(locationOf(page));
    expect(authorize.origin).to.equal(h.provider.origin);
    expect(authorize.searchParams.get('login_hint')).to.equal(alice.login.toUpperCase());
    expect(authorize.searchParams.get('client_id')).to.equal('rp-client');
  });

  it('completes the sign-in from the email form to the host page', async () => {
    const alice = await h.person();
    const page = await h.signIn(
      new TestBrowser(),
      { url: signInPage(), form: { email: alice.login, returnTo: '/reports' } },
      alice.login,
    );
    expect(page.url).to.equal(h.url('/reports'));
    expect(page.body).to.include(alice.login);
  });

  it("sends a builtin user to the host's password page with the email and returnTo", async () => {
    const user = await h.provision({
      userName: `pat.${randomUUID().slice(0, 6)}@contoso.example`,
      loginMethod: 'builtin',
    });
    const page = await new TestBrowser().request(signInPage(), {
      form: { email: user.userName, returnTo: '/reports' },
    });
    expect(page.status).to.equal(303);
    expect(page.headers.get('location')).to.equal(
      `/login?${new URLSearchParams({ email: user.userName, returnTo: '/reports' })}`,
    );
  });

  it('answers an unknown email exactly as a builtin one (no account-existence oracle)', async () => {
    const builtin = await h.provision({
      userName: `known.${randomUUID().slice(0, 6)}@contoso.example`,
      loginMethod: 'builtin',
    });
    const unknown = `nobody.${randomUUID().slice(0, 6)}@contoso.example`;
    const answer = async (email: string) => {
      const page = await new TestBrowser().request(signInPage(), { form: { email, returnTo: '/reports' } });
      const anonymous = (text: string) => text.replaceAll(encodeURIComponent(email), 'EMAIL');
      return { status: page.status, location: anonymous(page.headers.get('location')!), body: anonymous(page.body) };
    };
    const [known, nobody] = [await answer(builtin.userName), await answer(unknown)];
    expect(nobody).to.deep.equal(known);
    expect(nobody.status).to.equal(303);
  });

  it('does not name the organizations when an address is an sso user in several', async () => {
    const login = `shared.${randomUUID().slice(0, 6)}@contoso.example`;
    await h.provision({ userName: login });
    const second = await h.store.connectors.create({ organizationId: 'org-fabrikam', name: 'Fabrikam Entra' });
    await h.provision({ userName: login, connectorId: second.id });
    const page = await new TestBrowser().request(signInPage(), { form: { email: login } });
    expect(page.status).to.equal(200);
    expect(page.body).to.include('several organizations');
    expect(page.body).to.not.include('Fabrikam');
  });

  it('re-shows the form for an empty or malformed email (400)', async () => {
    const page = await new TestBrowser().request(signInPage(), { form: { email: 'not-an-email' } });
    expect(page.status).to.equal(400);
    expect(page.body).to.include('value="not-an-email"');
  });

  it('says to use the password page when the host configured none, for a builtin and an unknown address alike', async () => {
    const user = await h.provision({
      userName: `pw.${randomUUID().slice(0, 6)}@contoso.example`,
      loginMethod: 'builtin',
    });
    const app = express().use(
      `${MOUNT}/sso`,
      createSsoRouter({ ...h.runtime, options: { ...h.runtime.options, passwordLoginPath: null } }),
    );
    const known = await request(app).post(`${MOUNT}/sso/signin`).type('form').send({ email: user.userName });
    const unknown = await request(app)
      .post(`${MOUNT}/sso/signin`)
      .type('form')
      .send({ email: `x.${randomUUID().slice(0, 6)}@contoso.example` });
    expect(known.status).to.equal(200);
    expect(known.text).to.include('Sign in with your password');
    expect(unknown.text).to.equal(known.text);
  });
});
