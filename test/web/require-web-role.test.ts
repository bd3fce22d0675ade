import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

describeEachDatabase("requireWebRole: the host's routes by web access role", (db) => {
  let h: ScimHarness;
  let agent: ReturnType<typeof supertest>;
  const ids: Record<string, string> = {};
  before(async () => {
    h = await startScimHarness(db, {
      settings: {
        roleMap: { 'App.Reader': 'ReadOnly', 'App.User': 'User', 'App.Admin': 'Admin', 'App.Owner': 'EnterpriseAdmin' },
      },
    });
    for (const [name, roles] of [
      ['reader', [{ primary: true, value: 'App.Reader' }]],
      ['admin', [{ primary: true, value: 'App.Admin' }]],
      ['none', []],
    ] as const) {
      ids[name] = (
        await h.identity.users.create(h.connector, entraUser(`${name}.web@contoso.com`, { roles }), { actor: 'test' })
      ).id;
    }
    // A host whose session says who is signed in: here, a header set by the test.
    const host = express();
    const identity = await (
      await import('../../lib/index.js')
    ).createIdentityConnector({
      knex: h.knex,
      baseUrl: 'http://127.0.0.1',
      mountPath: '/identity',
      secretKey: 'x'.repeat(40),
      tablePrefix: h.identity.store.tablePrefix,
      logger: h.logs.logger,
      currentUser: (req) =>
        req.get('x-user') ? { connectorId: h.connector.id, userId: String(req.get('x-user')) } : null,
    });
    host.get('/reports', identity.requireWebRole('User'), (_req, res) => {
      res.send('reports');
    });
    host.get('/settings', identity.requireWebRole('Admin'), (_req, res) => {
      res.send('settings');
    });
    agent = supertest(host);
  });
  after(async () => {
    await h.close();
  });

  it('lets a user at or above the role through', async () => {
    expect((await agent.get('/reports').set('x-user', ids.admin)).text).to.equal('reports');
    expect((await agent.get('/settings').set('x-user', ids.admin)).text).to.equal('settings');
  });
  it('refuses a lower role with 403: HTML for browsers, JSON otherwise', async () => {
    const html = await agent.get('/reports').set('x-user', ids.reader).set('Accept', 'text/html');
    expect(html.status).to.equal(403);
    expect(html.headers['content-type']).to.match(/html/);
    expect(html.text).to.include('needs the User web access role; you have ReadOnly');
    const json = await agent.get('/reports').set('x-user', ids.reader).set('Accept', 'application/json');
    expect(json.status).to.equal(403);
    expect(json.body.message).to.match(/ReadOnly/);
  });
  it('refuses a user with no role (app login only) and an anonymous request', async () => {
    const none = await agent.get('/reports').set('x-user', ids.none).set('Accept', 'application/json');
    expect(none.status).to.equal(403);
    expect(none.body.message).to.match(/app login only/);
    expect((await agent.get('/reports').set('Accept', 'application/json')).status).to.equal(401);
  });
  it('sends an anonymous browser to sign in with returnTo, so it comes back to the page', async () => {
    const page = await agent.get('/reports?tab=q3').set('Accept', 'text/html');
    expect(page.status).to.equal(303);
    expect(page.headers.location).to.equal(
      `/identity/sso/signin?${new URLSearchParams({ returnTo: '/reports?tab=q3' })}`,
    );
  });
});
