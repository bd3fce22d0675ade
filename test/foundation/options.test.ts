import { expect } from 'chai';
import { connectKnex } from '../../lib/store/connect.js';
import { createIdentityConnector, type IdentityConnectorOptions } from '../../lib/index.js';
import { SECRET_KEY } from '../support/scim-harness.js';

describe('createIdentityConnector options', () => {
  const knex = connectKnex('sqlite::memory:');
  after(() => knex.destroy());
  const valid = (): IdentityConnectorOptions => ({ knex, baseUrl: 'https://app.example.com', mountPath: '/identity', secretKey: SECRET_KEY });

  const cases: Array<[string, Partial<Record<keyof IdentityConnectorOptions, unknown>>, RegExp]> = [
    ['no knex', { knex: undefined }, /options\.knex must be a Knex instance/],
    ['a relative baseUrl', { baseUrl: 'app.example.com' }, /baseUrl must be an absolute URL/],
    ['a baseUrl with a path', { baseUrl: 'https://app.example.com/app' }, /put the path in options\.mountPath/],
    ['a mountPath without leading slash', { mountPath: 'identity' }, /mountPath must start with "\/"/],
    ['a mountPath with a trailing slash', { mountPath: '/identity/' }, /mountPath/],
    ['a short secretKey', { secretKey: 'short' }, /secretKey must be a string of at least 32 characters/],
    ['a bad tablePrefix', { tablePrefix: 'x-y' }, /tablePrefix/],
    ['a non-function hook', { signIn: 'yes' }, /options\.signIn must be a function/],
    ['a zero page size', { maxPageSize: 0 }, /maxPageSize must be a positive integer/],
  ];
  for (const [name, change, message] of cases) {
    it(`fails fast on ${name}, saying what to fix`, async () => {
      let error: Error | undefined;
      try { await createIdentityConnector({ ...valid(), ...change } as IdentityConnectorOptions); } catch (e) { error = e as Error; }
      expect(error?.message).to.match(/^identity-connector: /).and.match(message);
    });
  }

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
