import { expect } from 'chai';
import express4 from 'express4';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

describeEachDatabase('Mounting the SSO and admin routers in an Express 4 host', (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db, {}, { expressModule: express4 });
  });
  after(async () => {
    await h?.close();
  });

  it('signs in from the email form to the host page', async () => {
    const alice = await h.person();
    const page = await h.signIn(
      new TestBrowser(),
      { url: h.url(`${MOUNT}/sso/signin`), form: { email: alice.login } },
      alice.login,
    );
    expect(page.body).to.include(`Signed in as <strong id="signed-in-user">${alice.login}</strong>`);
  });

  it('refuses an sso user on the password route and serves the admin API', async () => {
    const alice = await h.person();
    expect((await request(h.appOrigin).post('/login').type('form').send({ email: alice.login })).status).to.equal(403);
    const agent = request.agent(h.appOrigin);
    const { body } = await agent.get(`${MOUNT}/admin/api/csrf`).set('x-test-admin', 'yes');
    const response = await agent
      .put(`${MOUNT}/admin/api/users/${alice.user!.id}/login-method`)
      .set('x-test-admin', 'yes')
      .set('X-CSRF-Token', body.token)
      .send({ connectorId: h.connector.id, loginMethod: 'builtin' });
    expect(response.status).to.equal(200);
  });
});
