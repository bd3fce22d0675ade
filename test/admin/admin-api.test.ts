import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';

const API = '/identity/admin/api';

describeEachDatabase('Admin JSON API', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
    // Switching users to SSO needs the connector's SSO to have worked once: a real sign-in.
    const first = await h.person();
    await h.signIn(new TestBrowser(), h.url(`/identity/sso/login?connector=${h.connector.id}`), first.login);
  });
  after(async () => {
    await h?.close();
  });

  /** An admin's browser: authorized by the host, holding a CSRF token. */
  async function adminAgent(user = 'admin-1') {
    const agent = request.agent(h.appOrigin);
    const response = await agent.get(`${API}/csrf`).set('x-test-admin', 'yes').set('x-test-user', user);
    expect(response.status).to.equal(200);
    return { agent, token: response.body.token as string, user };
  }

  const put = (a: Awaited<ReturnType<typeof adminAgent>>, path: string) =>
    a.agent.put(`${API}${path}`).set('x-test-admin', 'yes').set('x-test-user', a.user).set('X-CSRF-Token', a.token);

  describe('who may call it', () => {
    it("answers 403 JSON to anyone the host's authorizeAdmin does not accept", async () => {
      for (const path of ['/csrf', `/users?connector=${h.connector.id}`]) {
        const response = await request(h.appOrigin).get(`${API}${path}`);
        expect(response.status).to.equal(403);
        expect(response.type).to.equal('application/json');
        expect(response.body).to.deep.equal({ error: 'forbidden', message: 'platform administrators only' });
      }
    });

    it('answers an unknown endpoint with 404 JSON', async () => {
      const response = await request(h.appOrigin).get(`${API}/nope`).set('x-test-admin', 'yes');
      expect(response.status).to.equal(404);
      expect(response.body.error).to.equal('not_found');
    });
  });

  describe('CSRF protection (signed double-submit token in X-CSRF-Token)', () => {
    let target: string;
    before(async () => {
      target = `/users/${(await h.person()).user!.id}/login-method`;
    });
    const body = () => ({ connectorId: h.connector.id, loginMethod: 'sso' });

    it('hands out the token in the body and in an HttpOnly, SameSite=Strict cookie scoped to the admin path', async () => {
      const response = await request(h.appOrigin).get(`${API}/csrf`).set('x-test-admin', 'yes');
      expect(response.body).to.have.property('token').that.is.a('string');
      expect(response.body.header).to.equal('X-CSRF-Token');
      const cookie = response.headers['set-cookie'][0];
      expect(cookie).to.match(/^idc_admin_csrf=/);
      expect(cookie).to.match(/Path=\/identity\/admin/);
      expect(cookie).to.match(/HttpOnly/);
      expect(cookie).to.match(/SameSite=Strict/);
      expect(response.headers['cache-control']).to.equal('no-store');
    });

    it('accepts a request carrying the token in the header and the cookie', async () => {
      const response = await put(await adminAgent(), target).send(body());
      expect(response.status).to.equal(200);
    });

    it('refuses a request without the header', async () => {
      const a = await adminAgent();
      const response = await a.agent
        .put(`${API}${target}`)
        .set('x-test-admin', 'yes')
        .set('x-test-user', a.user)
        .send(body());
      expect(response.status).to.equal(403);
      expect(response.body.error).to.equal('csrf');
    });

    it('refuses a header without the cookie (the token alone, e.g. leaked)', async () => {
      const { token } = await adminAgent();
      const response = await request(h.appOrigin)
        .put(`${API}${target}`)
        .set('x-test-admin', 'yes')
        .set('x-test-user', 'admin-1')
        .set('X-CSRF-Token', token)
        .send(body());
      expect(response.status).to.equal(403);
    });

    it('refuses a header that differs from the cookie', async () => {
      const a = await adminAgent();
      const other = await adminAgent();
      const response = await put({ ...a, token: other.token }, target).send(body());
      expect(response.status).to.equal(403);
    });

    it('refuses a token whose signature does not verify, even when header and cookie agree (cookie tossing)', async () => {
      const forged = `admin-csrf::${randomUUID()}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      const response = await request(h.appOrigin)
        .put(`${API}${target}`)
        .set('x-test-admin', 'yes')
        .set('Cookie', `idc_admin_csrf=${encodeURIComponent(forged)}`)
        .set('X-CSRF-Token', forged)
        .send(body());
      expect(response.status).to.equal(403);
      expect(response.body.message).to.include('invalid token');
    });

    it('refuses a token issued to another admin', async () => {
      const a = await adminAgent('admin-1');
      const response = await put({ ...a, user: 'admin-2' }, target).send(body());
      expect(response.status).to.equal(403);
      expect(response.body.message).to.include('another user');
    });

    it('refuses a cross-origin request even with a valid token', async () => {
      const response = await put(await adminAgent(), target)
        .set('Origin', 'https://evil.example')
        .send(body());
      expect(response.status).to.equal(403);
      const sameOrigin = await put(await adminAgent(), target)
        .set('Origin', h.appOrigin)
        .send(body());
      expect(sameOrigin.status).to.equal(200);
    });

    it('refuses a request the browser marks Sec-Fetch-Site: cross-site', async () => {
      const response = await put(await adminAgent(), target)
        .set('Sec-Fetch-Site', 'cross-site')
        .send(body());
      expect(response.status).to.equal(403);
    });

    it('refuses a body that is not JSON (what an HTML form would send) with 415', async () => {
      const response = await put(await adminAgent(), target)
        .type('form')
        .send(body());
      expect(response.status).to.equal(415);
    });

    it('answers malformed JSON with 400 JSON', async () => {
      const response = await put(await adminAgent(), target)
        .set('Content-Type', 'application/json')
        .send('{"connectorId":');
      expect(response.status).to.equal(400);
      expect(response.body.error).to.equal('invalid_request');
    });
  });

  describe('GET /admin/api/users', () => {
    let listed: Connector;
    before(async () => {
      listed = await h.store.connectors.create({ organizationId: 'org-list', name: 'Listed' });
      for (let i = 1; i <= 5; i += 1) {
        await h.provision({
          connectorId: listed.id,
          userName: `user${i}@list.example`,
          displayName: i === 3 ? 'Zed Special' : `User ${i}`,
          loginMethod: i % 2 ? 'sso' : 'builtin',
          webRole: i === 1 ? null : 'User',
        });
      }
    });
    const list = (query: string) => request(h.appOrigin).get(`${API}/users?${query}`).set('x-test-admin', 'yes');

    it("lists a connector's users with id, userName, displayName, active, loginMethod and webRole", async () => {
      const response = await list(`connector=${listed.id}`);
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ totalResults: 5, startIndex: 1, itemsPerPage: 5 });
      const first = response.body.users.find((u: { userName: string }) => u.userName === 'user1@list.example');
      expect(first).to.include({
        userName: 'user1@list.example',
        displayName: 'User 1',
        active: true,
        loginMethod: 'sso',
        webRole: null,
      });
      expect(first.id).to.be.a('string');
    });

    it('pages with startIndex and count', async () => {
      const all = (await list(`connector=${listed.id}`)).body.users.map((u: { id: string }) => u.id);
      const page = await list(`connector=${listed.id}&startIndex=3&count=2`);
      expect(page.body).to.include({ totalResults: 5, startIndex: 3, itemsPerPage: 2 });
      expect(page.body.users.map((u: { id: string }) => u.id)).to.deep.equal(all.slice(2, 4));
    });

    it('searches userName and displayName with filter', async () => {
      const byName = await list(`connector=${listed.id}&filter=special`);
      expect(byName.body.users.map((u: { userName: string }) => u.userName)).to.deep.equal(['user3@list.example']);
      const byUserName = await list(`connector=${listed.id}&filter=USER4`);
      expect(byUserName.body.users.map((u: { userName: string }) => u.userName)).to.deep.equal(['user4@list.example']);
    });

    it('answers a missing connector with 400, an unknown one with 404, a bad count with 400', async () => {
      expect((await list('')).status).to.equal(400);
      expect((await list('connector=nope')).status).to.equal(404);
      expect((await list(`connector=${listed.id}&count=-1`)).status).to.equal(400);
      expect((await list(`connector=${listed.id}&startIndex=0`)).status).to.equal(400);
    });
  });

  describe('PUT /admin/api/users/:id/login-method', () => {
    it('switches the login method, answers the user and audits the change (actor admin)', async () => {
      const alice = await h.person();
      const response = await put(await adminAgent('admin-7'), `/users/${alice.user!.id}/login-method`).send({
        connectorId: h.connector.id,
        loginMethod: 'builtin',
      });
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ id: alice.user!.id, loginMethod: 'builtin' });
      expect(await h.store.users.get(h.connector.id, alice.user!.id)).to.include({ loginMethod: 'builtin' });
      const [entry] = await h.store.audit.list(h.connector.id, { operation: 'user.login-method', limit: 1 });
      expect(entry).to.include({ actor: 'admin', outcome: 'success', resourceId: alice.user!.id });
      expect(JSON.parse(entry.detail!)).to.deep.equal({ loginMethod: { from: 'sso', to: 'builtin' }, by: 'admin-7' });
    });

    it('takes effect at once: a switched user is refused by SSO and let through on the password route', async () => {
      const bob = await h.person();
      await put(await adminAgent(), `/users/${bob.user!.id}/login-method`).send({
        connectorId: h.connector.id,
        loginMethod: 'builtin',
      });
      const passwordRoute = await request(h.appOrigin).post('/login').type('form').send({ email: bob.login });
      expect(passwordRoute.status).to.equal(200);
      const sso = await h.signIn(
        new TestBrowser(),
        h.url(`/identity/sso/login?connector=${h.connector.id}`),
        bob.login,
      );
      expect(sso.status).to.equal(403);
      expect(sso.body).to.include('builtin_login_method');
    });

    it('refuses an invalid login method (400) and an unknown user (404)', async () => {
      const alice = await h.person();
      const a = await adminAgent();
      expect(
        (
          await put(a, `/users/${alice.user!.id}/login-method`).send({
            connectorId: h.connector.id,
            loginMethod: 'password',
          })
        ).status,
      ).to.equal(400);
      expect((await put(a, `/users/${alice.user!.id}/login-method`).send({ loginMethod: 'sso' })).status).to.equal(400);
      expect(
        (await put(a, `/users/${randomUUID()}/login-method`).send({ connectorId: h.connector.id, loginMethod: 'sso' }))
          .status,
      ).to.equal(404);
      expect(
        (await put(a, `/users/${alice.user!.id}/login-method`).send({ connectorId: randomUUID(), loginMethod: 'sso' }))
          .status,
      ).to.equal(404);
    });

    it('refuses to switch a user to sso on a connector without OpenID Connect (409), and audits the refusal', async () => {
      const bare = await h.store.connectors.create({ organizationId: 'org-bare', name: 'No SSO' });
      const user = await h.provision({ connectorId: bare.id, userName: 'local@bare.example', loginMethod: 'builtin' });
      const response = await put(await adminAgent(), `/users/${user.id}/login-method`).send({
        connectorId: bare.id,
        loginMethod: 'sso',
      });
      expect(response.status).to.equal(409);
      expect(response.body.error).to.equal('sso_not_configured');
      const [entry] = await h.store.audit.list(bare.id, { operation: 'user.login-method', limit: 1 });
      expect(entry).to.include({ actor: 'admin', outcome: 'failure', status: 409 });
    });
  });
});
