import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import supertest from 'supertest';
import { testDatabases } from '../support/databases.js';
import { SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { scimPathPattern } from '../../lib/web/skip-on-scim.js';

describe("identity.skipOnScim: the host's sessions stay off the SCIM paths", () => {
  let h: ScimHarness;
  let http: ReturnType<typeof supertest>;
  let ownToken: string;
  let sessionsRun = 0;
  before(async () => {
    h = await startScimHarness(testDatabases()[0]);
    const own = await h.identity.store.connectors.create({
      organizationId: 'org-2',
      name: 'Advisors',
      settings: { scimEndpoint: 'advisors' },
    });
    ownToken = (await h.identity.store.tokens.create(own.id)).token;
    // saveUninitialized: every request that runs through the sessions gets a cookie, so a missing one shows the skip.
    const sessions = session({
      secret: 'a session secret of its own, not secretKey',
      resave: false,
      saveUninitialized: true,
    });
    const app = express();
    app.use(
      h.identity.skipOnScim((req, res, next) => {
        sessionsRun++;
        return sessions(req, res, next);
      }),
    );
    app.use('/identity', h.identity.router);
    app.get('/home', (req, res) => {
      res.send(req.session ? 'with a session' : 'without');
    });
    http = supertest(app);
  });
  after(async () => {
    await h.close();
  });

  it("SCIM requests, at /scim/v2, /scim and a connector's own endpoint, run without the sessions and set no cookie", async () => {
    const before = sessionsRun;
    for (const [path, token] of [
      [`${SCIM}/Users`, h.token],
      ['/identity/scim/Users?count=1', h.token],
      ['/identity/SCIM/v2/Users', h.token],
      ['/identity/advisors/scim/Users', ownToken],
    ] as const) {
      const res = await http.get(path).set('Authorization', `Bearer ${token}`);
      expect(res.status, path).to.equal(200);
      expect(res.headers['set-cookie'], path).to.equal(undefined);
    }
    expect(sessionsRun - before).to.equal(0);
  });

  it("the sign-in page, the admin page and the host's own routes run through the sessions", async () => {
    const before = sessionsRun;
    for (const path of ['/identity/sso', '/identity/admin', '/home']) {
      const res = await http.get(path);
      expect(res.headers['set-cookie'], path).to.be.an('array');
    }
    expect((await http.get('/home')).text).to.equal('with a session');
    expect(sessionsRun - before).to.equal(4);
  });

  it('matches only SCIM path segments under the mount path', () => {
    const scim = scimPathPattern('/identity');
    for (const path of ['/identity/scim', '/identity/scim/v2/Users', '/identity/advisors/scim/Groups'])
      expect(scim.test(path), path).to.equal(true);
    for (const path of [
      '/identity/scimx',
      '/identity/sso/signin',
      '/scim/v2/Users',
      '/other/identity/scim',
      '/identity/a/b/scim',
    ])
      expect(scim.test(path), path).to.equal(false);
  });
});
