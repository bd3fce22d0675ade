import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { connectKnex } from '../../lib/store/connect.js';
import { createIdentityConnector, type IdentityConnectorOptions } from '../../lib/index.js';
import { LogCapture, SECRET_KEY } from '../support/scim-harness.js';
import { uniquePrefix } from '../support/databases.js';

describe('createIdentityConnector options', () => {
  const knex = connectKnex('sqlite::memory:');
  after(() => knex.destroy());
  const valid = (): IdentityConnectorOptions => ({
    knex,
    baseUrl: 'https://app.example.com',
    mountPath: '/identity',
    secretKey: SECRET_KEY,
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no knex', { knex: undefined }, /options\.knex must be a Knex instance/],
    ['a relative baseUrl', { baseUrl: 'app.example.com' }, /baseUrl must be an absolute URL/],
    ['a baseUrl with a path', { baseUrl: 'https://app.example.com/app' }, /put the path in options\.mountPath/],
    ['no mountPath', { mountPath: undefined }, /options\.mountPath is required/],
    [
      'a mountPath without leading slash',
      { mountPath: 'identity' },
      /mountPath is required: the path where you mount identity\.router, starting with "\/"/,
    ],
    ['a mountPath with a trailing slash', { mountPath: '/identity/' }, /mountPath/],
    ['a short secretKey', { secretKey: 'short' }, /secretKey must be a string of at least 32 characters/],
    ['a rotation list with a short key', { secretKey: [SECRET_KEY, 'short'] }, /or a list of them to rotate/],
    ['an empty rotation list', { secretKey: [] }, /secretKey must be a string/],
    ['a misspelt option', { mountpath: '/identity' }, /unknown option "mountpath"; did you mean "mountPath"\?/],
    [
      'a misspelt hook',
      { authoriseAdmin: () => true },
      /unknown option "authoriseAdmin"; did you mean "authorizeAdmin"\?/,
    ],
    ['an option it has never had', { frobnicate: 1 }, /unknown option "frobnicate"$/],
    [
      'an http:// baseUrl on another machine',
      { baseUrl: 'http://app.example.com' },
      /http:\/\/ on another machine.*allowInsecureBaseUrl/,
    ],
    ['a bad tablePrefix', { tablePrefix: 'x-y' }, /tablePrefix/],
    ['a non-function hook', { signIn: 'yes' }, /options\.signIn must be a function/],
    ['a zero page size', { maxPageSize: 0 }, /maxPageSize must be a positive integer/],
    [
      'a rate-limit store named but not built in',
      { rateLimitStore: 'redis' },
      /rateLimitStore must be "database".*"memory".*RedisStore.*got "redis"/,
    ],
    [
      'a rate-limit store without increment and decrement',
      { rateLimitStore: { get() {} } },
      /rateLimitStore must be .*express-rate-limit store with increment and decrement/,
    ],
  ];
  for (const [name, change, message] of cases) {
    it(`fails fast on ${name}, saying what to fix`, async () => {
      let error: Error | undefined;
      try {
        await createIdentityConnector({ ...valid(), ...change });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message)
        .to.match(/^identity-connector: /)
        .and.match(message);
    });
  }

  for (const baseUrl of [
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:3000',
    'http://app.localhost',
  ]) {
    it(`accepts http:// for this machine: ${baseUrl}`, async () => {
      expect((await createIdentityConnector({ ...valid(), baseUrl })).options.baseUrl).to.equal(
        new URL(baseUrl).origin,
      );
    });
  }
  it('accepts an http:// baseUrl elsewhere with allowInsecureBaseUrl, and a list of secret keys', async () => {
    const identity = await createIdentityConnector({
      ...valid(),
      baseUrl: 'http://test-net.internal',
      allowInsecureBaseUrl: true,
      secretKey: [SECRET_KEY, 'the-previous-secret-key-0123456789abcdef'],
    });
    expect(identity.options.secretKey).to.have.length(2);
  });

  describe('requests reaching the router', () => {
    const identityAt = async (mountedAt: string) => {
      const logs = new LogCapture();
      const identity = await createIdentityConnector({ ...valid(), tablePrefix: uniquePrefix(), logger: logs.logger });
      const app = express();
      app.use(mountedAt, identity.router);
      return { identity, logs, http: supertest(app) };
    };

    it('before identity.migrate(), answer 503 saying to run it; afterwards they are served', async () => {
      const { identity, logs, http } = await identityAt('/identity');
      const early = await http.get('/identity/sso');
      expect(early.status).to.equal(503);
      expect(early.text).to.match(
        /the identity tables do not exist in this database yet; run `await identity\.migrate\(\)`/,
      );
      expect(logs.text()).to.include('run `await identity.migrate()`');
      await identity.migrate();
      expect((await http.get('/identity/sso')).status).to.equal(200);
      await identity.store.rollbackAll();
    });

    it('before identity.migrate(), SCIM paths answer the 503 as a SCIM error body with Retry-After', async () => {
      const { identity, http } = await identityAt('/identity');
      for (const path of [
        '/identity/scim/v2/Users',
        '/identity/scim/Groups',
        '/identity/contoso/scim/v2/Users?filter=x',
      ]) {
        const early = await http.get(path).set('Authorization', 'Bearer x');
        expect(early.status, path).to.equal(503);
        expect(early.headers['content-type'], path).to.match(/^application\/scim\+json/);
        expect(early.headers['retry-after'], path).to.match(/^[1-9]\d*$/);
        expect(JSON.parse(early.text), path).to.deep.include({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '503',
        });
        expect(JSON.parse(early.text).detail).to.include('identity.migrate()');
      }
      await identity.migrate();
      await identity.store.rollbackAll();
    });

    it('under another path than mountPath, log one warning naming both paths', async () => {
      const { identity, logs, http } = await identityAt('/auth');
      await identity.migrate();
      await http.get('/auth/sso');
      await http.get('/auth/sso');
      const warnings = logs.lines.filter((l) => l.includes('mounted at'));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('mounted at \\"/auth\\" but options.mountPath is \\"/identity\\"');
      await identity.store.rollbackAll();
    });

    it('under mountPath, say nothing about it', async () => {
      const { identity, logs, http } = await identityAt('/identity');
      await identity.migrate();
      await http.get('/identity/sso');
      expect(logs.lines.filter((l) => l.includes('mounted at'))).to.deep.equal([]);
      await identity.store.rollbackAll();
    });
  });

  it('returns router, store, events, migrate and close', async () => {
    const identity = await createIdentityConnector(valid());
    expect(identity.router).to.be.a('function');
    expect(identity.store).to.be.an('object');
    expect(identity.events.on).to.be.a('function');
    expect(identity.scimUrl).to.equal('https://app.example.com/identity/scim/v2');
    await identity.migrate();
    await identity.close();
  });
});
