import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { startSsoHarness, type SsoHarness } from './harness.js';

describeEachDatabase('Enforcing the login method on the host\'s password route (requireLoginMethod)', (db) => {
  let h: SsoHarness;
  before(async () => { h = await startSsoHarness(db); });
  after(async () => { await h?.close(); });

  const login = () => request(h.appOrigin).post('/login');

  it('refuses an sso user with a 403 page naming Microsoft Entra ID, for a browser form', async () => {
    const alice = await h.person();
    const response = await login().set('Accept', 'text/html').type('form').send({ email: alice.login, password: 'guess' });
    expect(response.status).to.equal(403);
    expect(response.type).to.equal('text/html');
    expect(response.text).to.include('Microsoft Entra ID');
    expect(response.text).to.include('/identity/sso/signin');
    expect(h.loginEvents.failed.at(-1)).to.include({ userId: alice.user!.id, reason: 'sso_login_method' });
  });

  it('refuses an sso user with a 403 JSON body for an API client', async () => {
    const alice = await h.person();
    const response = await login().set('Accept', 'application/json').send({ username: alice.login.toUpperCase(), password: 'guess' });
    expect(response.status).to.equal(403);
    expect(response.body).to.deep.include({ error: 'sso_required', signInUrl: '/identity/sso/signin' });
    expect(response.body.message).to.include('Microsoft Entra ID');
  });

  it('lets a builtin user through to the host\'s own login', async () => {
    const user = await h.provision({ userName: `builtin.${randomUUID().slice(0, 6)}@contoso.example`, loginMethod: 'builtin' });
    const response = await login().type('form').send({ email: user.userName, password: 'secret' });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ reached: 'host password login', allowed: [user.id] });
  });

  it('lets an unknown user through, so the host answers as for any wrong password', async () => {
    const response = await login().type('form').send({ email: `unknown.${randomUUID().slice(0, 6)}@contoso.example`, password: 'x' });
    expect(response.status).to.equal(200);
    expect(response.body.reached).to.equal('host password login');
  });

  it('parses the form itself when the host mounts it before a body parser', async () => {
    const alice = await h.person();
    const response = await request(h.appOrigin).post('/login-unparsed').type('form').send({ email: alice.login });
    expect(response.status).to.equal(403);
  });

  it('follows an admin\'s switch of the user to builtin at once', async () => {
    const alice = await h.person();
    expect((await login().type('form').send({ email: alice.login })).status).to.equal(403);
    await h.runtime.users.setAccess(h.connector, alice.user!.id, { loginMethod: 'builtin' }, { actor: 'host' });
    expect((await login().type('form').send({ email: alice.login })).status).to.equal(200);
  });
});
