import { expect } from 'chai';
import express4 from 'express4';
import express from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import supertest from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { startScimHarness, SCIM, type ScimHarness } from '../support/scim-harness.js';

describeEachDatabase('SCIM bearer authentication', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  const spc = () => h.http.get(`${SCIM}/ServiceProviderConfig`);

  it('answers /ServiceProviderConfig with a valid token', async () => {
    const res = await spc().set('Authorization', `Bearer ${h.token}`);
    expect(res.status).to.equal(200);
    expect(res.body.patch.supported).to.equal(true);
    expect(res.body.authenticationSchemes[0].type).to.equal('oauthbearertoken');
    expect(res.body.filter).to.deep.equal({ supported: true, maxResults: 200 });
    expect(res.body.pagination).to.include({ cursor: true, index: true });
  });

  for (const [name, header] of [
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer idc_wrong'],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare word', 'non-token'],
  ] as const) {
    it(`refuses ${name} with 401, a SCIM error body and WWW-Authenticate: Bearer`, async () => {
      const req = spc();
      if (header) req.set('Authorization', header);
      const res = await req;
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
      expect(res.body).to.include({ status: '401' });
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
      expect(res.body.detail).to.be.a('string').with.length.above(0);
    });
  }

  it('reads the token from the Authorization header only, any case of "Bearer"; a token in the URL is refused (RFC 6750 §2.3: it ends up in logs)', async () => {
    expect((await spc().set('Authorization', `bearer ${h.token}`)).status).to.equal(200);
    expect((await h.http.get(`${SCIM}/ServiceProviderConfig?access_token=${h.token}`)).status).to.equal(401);
    const both = await h.http
      .get(`${SCIM}/ServiceProviderConfig?access_token=${h.token}`)
      .set('Authorization', `Bearer ${h.token}`);
    expect(both.status).to.equal(401);
    expect((await spc().set('Authorization', `Bearer ${h.token} extra`)).status).to.equal(401);
  });

  it('refuses a revoked token and an expired one', async () => {
    const revoked = await h.identity.store.tokens.create(h.connector.id, { label: 'to revoke' });
    await h.identity.store.tokens.revoke(revoked.record.id);
    expect((await spc().set('Authorization', `Bearer ${revoked.token}`)).status).to.equal(401);
    const other = await h.identity.store.connectors.create({ organizationId: 'org-exp', name: 'exp' });
    const expired = await h.identity.store.tokens.create(other.id, { expiresAt: new Date(Date.now() - 1000) });
    expect((await spc().set('Authorization', `Bearer ${expired.token}`)).status).to.equal(401);
  });

  it("binds a token to its connector: another connector's users are invisible", async () => {
    const other = await h.identity.store.connectors.create({ organizationId: 'org-b', name: 'B' });
    const { token } = await h.identity.store.tokens.create(other.id);
    await h.scim.post('/Users', { userName: 'only-in-a@contoso.com' });
    const res = await h.http.get(`${SCIM}/Users`).set('Authorization', `Bearer ${token}`);
    expect(res.body.totalResults).to.equal(0);
  });

  it("authenticates with passport-http-bearer outside any passport: a host's own passport, its bearer strategy and its req.login stay as they were", async () => {
    const hostPassport = new passport.Passport();
    hostPassport.use(
      new BearerStrategy((token, done) => done(null, token === 'host-api-token' ? { api: 'client' } : false)),
    );
    const app = express();
    app.use(hostPassport.initialize());
    const managers: unknown[] = [];
    app.use((req, res, next) => {
      res.on('finish', () => managers.push((req as unknown as { _sessionManager: unknown })._sessionManager));
      next();
    });
    app.use('/identity', h.identity.router);
    app.get('/api', hostPassport.authenticate('bearer', { session: false }), (_req, res) => {
      res.json({ ok: true });
    });
    const http = supertest(app);
    expect((await http.get(`${SCIM}/ServiceProviderConfig`).set('Authorization', `Bearer ${h.token}`)).status).to.equal(
      200,
    );
    const wrong = await http.get(`${SCIM}/ServiceProviderConfig`).set('Authorization', 'Bearer host-api-token');
    expect(wrong.status).to.equal(401);
    expect(wrong.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(wrong.headers['www-authenticate']).to.equal('Bearer realm="SCIM", error="invalid_token"');
    // The host's strategy still answers the host's routes, and knows nothing of SCIM tokens.
    expect((await http.get('/api').set('Authorization', 'Bearer host-api-token')).status).to.equal(200);
    expect((await http.get('/api').set('Authorization', `Bearer ${h.token}`)).status).to.equal(401);
    const hostManager = (hostPassport as unknown as { _sm: unknown })._sm;
    expect(managers.slice(0, 2)).to.deep.equal([hostManager, hostManager]);
  });

  it('never writes the token to the log, and logs one structured line per request', async () => {
    h.logs.lines = [];
    await spc().set('Authorization', `Bearer ${h.token}`).set('x-request-id', 'req-123');
    await spc().set('Authorization', `Bearer ${h.token}x`);
    const text = h.logs.text();
    expect(text).to.not.include(h.token);
    const lines = h.logs.lines.map((l) => JSON.parse(l));
    const request = lines.find((l) => l.message === 'request' && l.requestId === 'req-123');
    expect(request).to.include({ component: 'scim', method: 'GET', status: 200, connectorId: h.connector.id });
    expect(request.durationMs).to.be.a('number');
    // The failure is in the request line; its detail is logged once per window as an aggregate (test/scim/authentication-abuse.test.ts).
    expect(lines.some((l) => l.message === 'request' && l.status === 401)).to.equal(true);
  });

  it('stores tokens only as SHA-256 hashes', async () => {
    const rows = await h.knex(h.identity.store.tables.scimTokens).select('*');
    for (const row of rows) {
      expect(row.token_hash).to.match(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).to.not.include(h.token);
    }
  });

  it('allows two live tokens per connector for rotation and refuses a third', async () => {
    const connector = await h.identity.store.connectors.create({ organizationId: 'org-rot', name: 'rotation' });
    const first = await h.identity.store.tokens.create(connector.id);
    const second = await h.identity.store.tokens.create(connector.id);
    for (const t of [first.token, second.token])
      expect((await spc().set('Authorization', `Bearer ${t}`)).status).to.equal(200);
    let error: Error | undefined;
    try {
      await h.identity.store.tokens.create(connector.id);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/already has 2 live tokens/);
    await h.identity.store.tokens.revoke(first.record.id);
    expect((await h.identity.store.tokens.create(connector.id)).token).to.match(/^idc_/);
  });

  it('issues tokens of at least 256 random bits', async () => {
    const connector = await h.identity.store.connectors.create({ organizationId: 'org-len', name: 'len' });
    const { token } = await h.identity.store.tokens.create(connector.id);
    expect(Buffer.from(token.slice(4), 'base64url').length).to.be.at.least(32);
  });

  it('rate-limits a token: past the limit, 429 with a SCIM error body', async () => {
    const limited = await startScimHarness(db, { rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.scim.get('/ServiceProviderConfig')).status);
      expect(statuses).to.deep.equal([200, 200, 200, 429]);
      const res = await limited.scim.get('/ServiceProviderConfig');
      expect(res.body).to.include({ status: '429' });
      expect(res.headers['ratelimit-policy']).to.equal('3;w=60');
      expect(res.headers.ratelimit).to.match(/^limit=3, remaining=0, reset=\d+$/);
      expect(Number(res.headers['retry-after'])).to.be.within(1, 60);
      // Another token of the same connector has a budget of its own.
      const { token } = await limited.identity.store.tokens.create(limited.connector.id);
      const other = await limited.http.get(`${SCIM}/ServiceProviderConfig`).set('Authorization', `Bearer ${token}`);
      expect(other.status).to.equal(200);
      expect(other.headers.ratelimit).to.match(/^limit=3, remaining=2, /);
    } finally {
      await limited.close();
    }
  });

  it('works mounted in an Express 4 application too', async () => {
    const h4 = await startScimHarness(db, { expressModule: express4 });
    try {
      const created = await h4.scim.post('/Users', { userName: 'express4@contoso.com' });
      expect(created.status).to.equal(201);
      expect((await h4.scim.get(`/Users/${created.body.id}`)).status).to.equal(200);
      expect((await h4.scim.get('/Users/unknown-id')).status).to.equal(404);
      expect((await h4.http.get(`${SCIM}/Users`)).status).to.equal(401);
    } finally {
      await h4.close();
    }
  });
});
