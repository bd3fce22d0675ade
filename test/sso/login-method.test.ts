import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import express from 'express';
import { checkLoginMethod, requireLoginMethod } from '../../lib/sso/login-method.js';
import type { StoredUser } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';

describeEachDatabase("Enforcing the login method on the host's password route (requireLoginMethod)", (db) => {
  let h: HostHarness;
  before(async () => {
    h = await startHostHarness(db);
  });
  after(async () => {
    await h?.close();
  });

  const login = () => request(h.appOrigin).post('/login');

  it('refuses an sso user with a 403 page naming Microsoft Entra ID, for a browser form', async () => {
    const alice = await h.person();
    const response = await login()
      .set('Accept', 'text/html')
      .type('form')
      .send({ email: alice.login, password: 'guess' });
    expect(response.status).to.equal(403);
    expect(response.type).to.equal('text/html');
    expect(response.text).to.include('Microsoft Entra ID');
    expect(response.text).to.include('/identity/sso/signin');
    expect(h.loginEvents.failed.at(-1)).to.include({ userId: alice.user!.id, reason: 'sso_login_method' });
  });

  it('refuses an sso user with a 403 JSON body for an API client', async () => {
    const alice = await h.person();
    const response = await login()
      .set('Accept', 'application/json')
      .send({ username: alice.login.toUpperCase(), password: 'guess' });
    expect(response.status).to.equal(403);
    expect(response.body).to.deep.include({ error: 'sso_required', signInUrl: '/identity/sso/signin' });
    expect(response.body.message).to.include('Microsoft Entra ID');
  });

  it("lets a builtin user through to the host's own login", async () => {
    const user = await h.provision({
      userName: `builtin.${randomUUID().slice(0, 6)}@contoso.example`,
      loginMethod: 'builtin',
    });
    const response = await login().type('form').send({ email: user.userName, password: 'secret' });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ reached: 'host password login', allowed: [user.id] });
  });

  it('lets an unknown user through, so the host answers as for any wrong password', async () => {
    const response = await login()
      .type('form')
      .send({ email: `unknown.${randomUUID().slice(0, 6)}@contoso.example`, password: 'x' });
    expect(response.status).to.equal(200);
    expect(response.body.reached).to.equal('host password login');
  });

  it('parses the form itself when the host mounts it before a body parser', async () => {
    const alice = await h.person();
    const response = await request(h.appOrigin).post('/login-unparsed').type('form').send({ email: alice.login });
    expect(response.status).to.equal(403);
  });

  it("follows an admin's switch of the user to builtin at once", async () => {
    const alice = await h.person();
    expect((await login().type('form').send({ email: alice.login })).status).to.equal(403);
    await h.runtime.users.setAccess(h.connector, alice.user!.id, { loginMethod: 'builtin' }, { actor: 'host' });
    expect((await login().type('form').send({ email: alice.login })).status).to.equal(200);
  });

  describe('the bypasses a host could not see (identifier fields, emails, letter case)', () => {
    /** carol signs in through Entra; her userName and her work email differ. */
    async function carol(): Promise<{ user: StoredUser; userName: string; workEmail: string }> {
      const tag = randomUUID().slice(0, 6);
      const userName = `carol.${tag}@contoso.example`;
      const workEmail = `carol.work.${tag}@contoso.example`;
      const user = await h.runtime.users.create(
        h.connector,
        {
          userName,
          emails: [
            { value: workEmail, type: 'work', primary: true },
            { value: `c.${tag}@home.example`, type: 'home' },
          ],
          active: true,
        },
        { actor: 'host' },
        { loginMethod: 'sso' },
      );
      return { user, userName, workEmail };
    }

    it('refuses an sso user named by the login= field', async () => {
      const c = await carol();
      expect((await login().type('form').send({ login: c.userName, password: 'guess' })).status).to.equal(403);
    });

    it('refuses an sso user named by a work email that is not the userName, in any letter case', async () => {
      const c = await carol();
      for (const email of [c.workEmail, c.workEmail.toUpperCase(), ` ${c.workEmail} `]) {
        expect((await login().type('form').send({ email, password: 'guess' })).status, email).to.equal(403);
      }
    });

    it('refuses when any identifier field names a refused account, even beside an unknown one', async () => {
      const c = await carol();
      const response = await login()
        .type('form')
        .send({ email: `nobody.${randomUUID().slice(0, 6)}@contoso.example`, login: c.workEmail });
      expect(response.status).to.equal(403);
    });

    it('checks a field the host names itself', async () => {
      const c = await carol();
      const app = express().use(express.urlencoded({ extended: false }));
      app.post('/signin', requireLoginMethod(h.runtime)('builtin', { fields: ['account'] }), (_req, res) => {
        res.json({ reached: true });
      });
      expect((await request(app).post('/signin').type('form').send({ account: c.workEmail })).status).to.equal(403);
    });

    it('lists in identityAllowedUsers only the allowed account when an address is a user of two organizations', async () => {
      const c = await carol();
      const other = await h.store.connectors.create({
        organizationId: `org-${randomUUID().slice(0, 6)}`,
        name: 'Other',
      });
      const local = await h.provision({ connectorId: other.id, userName: c.workEmail, loginMethod: 'builtin' });
      const response = await login().type('form').send({ email: c.workEmail.toUpperCase() });
      expect(response.status).to.equal(200);
      expect(response.body.allowed).to.deep.equal([local.id]);
    });
  });

  describe('identity fields that are not strings (read strictly)', () => {
    for (const field of ['email', 'username', 'userName', 'login']) {
      it(`refuses ${field} as an array or an object in JSON with a 400, never passing it through`, async () => {
        const alice = await h.person();
        for (const value of [
          [alice.login],
          { value: alice.login },
          [alice.login, 'other@contoso.example'],
          42,
          true,
          null,
        ]) {
          const response = await login()
            .set('Accept', 'application/json')
            .send({ [field]: value, password: 'guess' });
          expect(response.status, JSON.stringify(value)).to.equal(400);
          expect(response.body).to.deep.include({ error: 'invalid_request' });
          expect(response.body.message).to.include(field);
        }
      });

      it(`refuses ${field} given twice in a form with a 400`, async () => {
        const alice = await h.person();
        const form = `${field}=${encodeURIComponent(alice.login)}&${field}=${encodeURIComponent(alice.login)}&password=guess`;
        const response = await login().set('Accept', 'text/html').type('form').send(form);
        expect(response.status).to.equal(400);
        expect(response.type).to.equal('text/html');
      });
    }

    it('refuses userName naming an sso user as any other identifier field', async () => {
      const alice = await h.person();
      expect((await login().type('form').send({ userName: alice.login, password: 'guess' })).status).to.equal(403);
    });
  });

  describe('checkLoginMethod (the API the host calls with the account it resolved)', () => {
    it('answers by id: refused for an sso user on builtin, allowed for builtin, and audits the refusal', async () => {
      const alice = await h.person();
      const check = checkLoginMethod(h.runtime);
      const refused = await check({ connectorId: h.connector.id, userId: alice.user!.id }, 'builtin');
      expect(refused.allowed).to.equal(false);
      expect(refused.refusedUsers.map((u) => u.id)).to.deep.equal([alice.user!.id]);
      const [entry] = await h.store.audit.list(h.connector.id, { operation: 'login', limit: 1 });
      expect(entry).to.include({ actor: 'login-method', outcome: 'failure', resourceId: alice.user!.id, status: 403 });
      const allowed = await check({ connectorId: h.connector.id, userId: alice.user!.id }, 'sso');
      expect(allowed).to.deep.include({ allowed: true, refusedUsers: [] });
      expect(allowed.allowedUsers.map((u) => u.id)).to.deep.equal([alice.user!.id]);
    });

    it('answers by identifier (userName or any email), and allows an identifier nobody has, naming no user', async () => {
      const alice = await h.person();
      const check = checkLoginMethod(h.runtime);
      expect((await check(alice.login.toUpperCase(), 'builtin')).allowed).to.equal(false);
      expect(await check(`nobody.${randomUUID().slice(0, 6)}@contoso.example`, 'builtin')).to.deep.equal({
        allowed: true,
        allowedUsers: [],
        refusedUsers: [],
      });
    });

    it('refuses a target that is neither an identifier string nor string ids (an array, an object, a number)', async () => {
      const alice = await h.person();
      const check = checkLoginMethod(h.runtime);
      const malformed = [
        [alice.login],
        { value: alice.login },
        42,
        null,
        { connectorId: h.connector.id, userId: [alice.user!.id] },
      ];
      for (const target of malformed) {
        const result = await check(target as never, 'builtin');
        expect(result, JSON.stringify(target)).to.deep.equal({ allowed: false, allowedUsers: [], refusedUsers: [] });
      }
    });
  });
});
