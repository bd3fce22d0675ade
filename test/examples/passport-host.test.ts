import { expect } from 'chai';
import type express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import winston from 'winston';
import { createPassportHost, type PassportHost } from '../../examples/passport-host.js';
import type { Connector } from '../../lib/index.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import {
  relyingPartyClient,
  startTestProvider,
  type AccountClaims,
  type TestProvider,
} from '../support/fixtures/oidc-provider.js';
import { RP_CLIENT_ID, RP_CLIENT_SECRET, SECRET_KEY, TENANT } from '../support/host-harness.js';

describeEachDatabase('The passport example host (examples/passport-host.ts)', (db) => {
  const knex = testKnex(db);
  const accounts = new Map<string, AccountClaims>();
  let server: http.Server;
  let origin: string;
  let provider: TestProvider;
  let host: PassportHost;
  let connector: Connector;
  const builtin = {
    email: `pat.${randomUUID().slice(0, 6)}@contoso.example`,
    password: 'correct horse battery staple',
  };
  const sso = { email: `sam.${randomUUID().slice(0, 6)}@contoso.example`, oid: randomUUID() };

  before(async () => {
    let app: express.Express | undefined;
    server = http.createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    provider = await startTestProvider({
      accounts,
      clients: [relyingPartyClient(RP_CLIENT_ID, RP_CLIENT_SECRET, `${origin}/identity/sso/callback`)],
    });
    host = await createPassportHost({
      knex,
      baseUrl: origin,
      secretKey: SECRET_KEY,
      sessionSecret: 'a-session-secret-of-its-own-0123456789',
      passwordConnectorId: () => connector.id,
      connectorOptions: {
        tablePrefix: uniquePrefix(),
        allowInsecureIssuer: true,
        logger: winston.createLogger({ silent: true }),
      },
    });
    app = host.app;
    const { identity } = host;
    const created = await identity.store.connectors.create({ organizationId: 'org-contoso', name: 'Entra' });
    connector = (
      await identity.configureOidc(created.id, {
        issuer: provider.issuer,
        tenantId: TENANT,
        clientId: RP_CLIENT_ID,
        clientSecret: RP_CLIENT_SECRET,
      })
    ).connector;
    await identity.users.create(
      connector,
      {
        userName: builtin.email,
        emails: [{ type: 'work', value: builtin.email, primary: true }],
        active: true,
        roles: [{ value: 'User', primary: true }],
      },
      { actor: 'host' },
      { loginMethod: 'builtin', password: builtin.password },
    );
    await identity.users.create(
      connector,
      {
        userName: sso.email,
        externalId: sso.oid,
        emails: [{ type: 'work', value: sso.email, primary: true }],
        active: true,
        roles: [{ value: 'User', primary: true }],
      },
      { actor: 'host' },
      { loginMethod: 'sso' },
    );
    accounts.set(sso.email, {
      oid: sso.oid,
      tid: TENANT,
      preferred_username: sso.email,
      email: sso.email,
      name: 'Sam',
    });
    accounts.set(builtin.email, {
      oid: randomUUID(),
      tid: TENANT,
      preferred_username: builtin.email,
      email: builtin.email,
      name: 'Pat',
    });
  });
  after(async () => {
    await host?.identity.store.rollbackAll();
    await host?.identity.close();
    await provider?.close();
    await new Promise((resolve) => server?.close(resolve));
    await knex.destroy();
  });

  const passwordSignIn = (browser: TestBrowser, email: string, password: string) =>
    browser.follow(`${origin}/login`, { form: { email, password } });
  const ssoSignIn = async (browser: TestBrowser, email: string) => {
    let page = await browser.follow(`${origin}/identity/sso/login?connector=${connector.id}&returnTo=/me`);
    if (page.url.startsWith(`${provider.origin}/interaction/`))
      page = await browser.follow(page.url, { form: { prompt: 'login', login: email, password: 'any password' } });
    return page;
  };

  it('signs a built-in user in with passport-local: a passport session, /me from identity.currentUser', async () => {
    const browser = new TestBrowser();
    const page = await passwordSignIn(browser, builtin.email, builtin.password);
    expect(page.status).to.equal(200);
    expect(JSON.parse(page.body)).to.include({
      userName: builtin.email,
      loginMethod: 'builtin',
      webRole: 'User',
      organizationId: 'org-contoso',
    });
    expect((await browser.follow(`${origin}/reports`)).body).to.include('Reports');
    expect(browser.cookies.map((c) => c.name)).to.include('host.sid');
  });

  it('refuses a wrong password, and an SSO user on the password path before passport-local runs (403, a link to SSO)', async () => {
    expect((await passwordSignIn(new TestBrowser(), builtin.email, 'wrong')).url).to.match(/\/login\?failed=1$/);
    const browser = new TestBrowser();
    const refused = await passwordSignIn(browser, sso.email, 'any password');
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include('/identity/sso/signin');
    expect((await browser.follow(`${origin}/me`)).status).to.equal(401);
  });

  it('signs an SSO user in through the connector against the OpenID Provider into the same passport session', async () => {
    const browser = new TestBrowser();
    const page = await ssoSignIn(browser, sso.email);
    expect(page.status).to.equal(200);
    expect(JSON.parse(page.body)).to.include({ userName: sso.email, loginMethod: 'sso', webRole: 'User' });
    await browser.follow(`${origin}/logout`, { method: 'POST' });
    expect((await browser.follow(`${origin}/me`)).status).to.equal(401);
  });

  it('refuses a built-in user on the SSO path', async () => {
    const browser = new TestBrowser();
    const page = await ssoSignIn(browser, builtin.email);
    expect(page.status).to.equal(403);
    expect((await browser.follow(`${origin}/me`)).status).to.equal(401);
  });

  describe('admin access from the web role (the default authorizeAdmin)', () => {
    const enterpriseAdmin = { email: `eve.${randomUUID().slice(0, 6)}@contoso.example`, oid: randomUUID() };
    const admin = { email: `ada.${randomUUID().slice(0, 6)}@contoso.example`, password: 'another long password 42' };
    let otherOrg: Connector;
    before(async () => {
      const { identity } = host;
      await identity.users.create(
        connector,
        {
          userName: enterpriseAdmin.email,
          externalId: enterpriseAdmin.oid,
          active: true,
          roles: [{ value: 'EnterpriseAdmin', primary: true }],
        },
        { actor: 'host' },
        { loginMethod: 'sso' },
      );
      accounts.set(enterpriseAdmin.email, {
        oid: enterpriseAdmin.oid,
        tid: TENANT,
        preferred_username: enterpriseAdmin.email,
        email: enterpriseAdmin.email,
        name: 'Eve',
      });
      await identity.users.create(
        connector,
        { userName: admin.email, active: true, roles: [{ value: 'Admin', primary: true }] },
        { actor: 'host' },
        { loginMethod: 'builtin', password: admin.password },
      );
      otherOrg = await identity.store.connectors.create({ organizationId: 'org-fabrikam', name: 'Fabrikam Entra' });
      await identity.users.create(otherOrg, { userName: 'someone@fabrikam.example', active: true }, { actor: 'host' });
    });
    const api = (browser: TestBrowser, path: string, method: 'GET' | 'POST' = 'GET') =>
      browser.follow(`${origin}/identity/admin/api${path}`, { method, headers: { accept: 'application/json' } });

    it('lets an Entra EnterpriseAdmin signed in through SSO administer their own organization only: connectors, tokens, OIDC, users', async () => {
      const browser = new TestBrowser();
      expect((await ssoSignIn(browser, enterpriseAdmin.email)).status).to.equal(200);
      const page = await browser.follow(`${origin}/identity/admin`);
      expect(page.status).to.equal(200);
      for (const section of ['SCIM tokens', 'Single sign-on (OpenID Connect)', 'Users', 'Provisioning log'])
        expect(page.body).to.include(section);
      const { connectors } = JSON.parse((await api(browser, '/connectors')).body) as {
        connectors: Array<{ organizationId: string }>;
      };
      expect(connectors.map((c) => c.organizationId)).to.deep.equal(['org-contoso']);
      expect((await api(browser, `/connectors/${connector.id}/tokens`)).status).to.equal(200);
      expect((await api(browser, `/connectors/${otherOrg.id}`)).status).to.equal(404);
      expect((await browser.follow(`${origin}/identity/admin/connectors/${otherOrg.id}`)).status).to.equal(404);
    });

    it('lets an Admin administer users, login methods and the log of their organization, and refuses connectors, tokens and OIDC (page and API)', async () => {
      const browser = new TestBrowser();
      expect((await passwordSignIn(browser, admin.email, admin.password)).status).to.equal(200);
      const page = await browser.follow(`${origin}/identity/admin`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Provisioning log');
      for (const hidden of [
        'SCIM tokens',
        'Single sign-on (OpenID Connect)',
        'Role mapping and settings',
        'New connector',
      ])
        expect(page.body).to.not.include(hidden);
      const users = JSON.parse((await api(browser, `/users?connector=${connector.id}`)).body);
      expect(JSON.stringify(users)).to.include(sso.email).and.not.include('fabrikam');
      expect((await api(browser, `/connectors/${connector.id}/audit`)).status).to.equal(200);
      expect((await api(browser, `/connectors/${connector.id}/tokens`)).status).to.equal(403);
      expect((await api(browser, `/connectors/${connector.id}/tokens`, 'POST')).status).to.equal(403);
      expect((await api(browser, `/connectors/${otherOrg.id}/audit`)).status).to.equal(404);
    });

    it('refuses a signed-in User, and nobody signed in', async () => {
      const browser = new TestBrowser();
      await passwordSignIn(browser, builtin.email, builtin.password);
      expect((await browser.follow(`${origin}/identity/admin`)).status).to.equal(403);
      expect((await api(browser, '/connectors')).status).to.equal(403);
      expect((await api(new TestBrowser(), '/connectors')).status).to.equal(403);
    });
  });

  it('answers SCIM outside sessions and passport: a bearer token, no session cookie set', async () => {
    const { token } = await host.identity.store.tokens.create(connector.id);
    const res = await fetch(
      `${origin}/identity/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${sso.email}"`)}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { totalResults: number }).totalResults).to.equal(1);
    expect(res.headers.get('set-cookie')).to.equal(null);
  });
});
