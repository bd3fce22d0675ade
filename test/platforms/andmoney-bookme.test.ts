import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

const objectId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ROOMS = '/identity/rooms/scim';

/** The advisors mapping table, as Entra sends it. */
const advisor = (upn: string, n: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  active: ACTIVE,
  userName: upn,
  displayName: 'Mette Hansen',
  name: { givenName: 'Mette', familyName: 'Hansen' },
  addresses: [{ type: 'work', formatted: 'Aarhus office' }],
  externalId: objectId(n),
});

/** The rooms mapping table: no name parts. */
const room = (upn: string, n: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  active: ACTIVE,
  userName: upn,
  displayName: 'Meeting room 2.14',
  addresses: [{ type: 'work', formatted: 'Copenhagen, floor 2' }],
  externalId: objectId(n),
});

/**
 * Two enterprise applications, two Tenant URLs (`…/advisors/scim`, `…/rooms/scim`), two secret
 * tokens: two connectors from the same preset, each with its own endpoint and resource kind.
 */
describeEachDatabase('&Money BookMe, from the "andmoney-bookme" preset (advisors and rooms)', (db) => {
  let advisors: ScimHarness;
  let rooms: { connectorId: string; token: string };
  before(async () => {
    advisors = await startScimHarness(db, {
      preset: 'andmoney-bookme',
      settings: { scimEndpoint: 'advisors', resourceKind: 'advisor' },
    });
    const connector = await advisors.identity.store.connectors.create({
      organizationId: 'org-1',
      name: 'Rooms',
      preset: 'andmoney-bookme',
      settings: { scimEndpoint: 'rooms', resourceKind: 'room' },
    });
    rooms = { connectorId: connector.id, token: (await advisors.identity.store.tokens.create(connector.id)).token };
  });
  after(async () => {
    await advisors.close();
  });

  const asRooms = (t: ReturnType<ScimHarness['http']['get']>) =>
    t.set('Authorization', `Bearer ${rooms.token}`).set('Content-Type', 'application/scim+json');

  it('provisions an advisor at the advisors URL, with the work address, externalId = Entra objectId and the advisor kind', async () => {
    const created = await provision(
      advisors,
      { attribute: 'userName', value: 'mette@andmoney.dk' },
      advisor('mette@andmoney.dk', 1),
    );
    expect(created).to.deep.include({ externalId: objectId(1), displayName: 'Mette Hansen' });
    expect(created.addresses).to.deep.equal([{ type: 'work', formatted: 'Aarhus office' }]);
    expect(created.meta.location).to.equal(`http://127.0.0.1/identity/advisors/scim/Users/${created.id}`);
    expect((await advisors.identity.store.users.get(advisors.connector.id, created.id))?.resourceKind).to.equal(
      'advisor',
    );
  });

  it('provisions a room at the rooms URL with its own token, kept apart from the advisors', async () => {
    const created = (
      await asRooms(advisors.http.post(`${ROOMS}/Users`))
        .send(JSON.stringify(room('room214@andmoney.dk', 2)))
        .expect(201)
    ).body;
    expect(created.addresses[0].formatted).to.equal('Copenhagen, floor 2');
    expect(created.meta.location).to.equal(`http://127.0.0.1${ROOMS}/Users/${created.id}`);
    expect((await advisors.identity.store.users.get(rooms.connectorId, created.id))?.resourceKind).to.equal('room');
    expect(
      (await asRooms(advisors.http.get(`${ROOMS}/Users`)).expect(200)).body.Resources.map((u: { id: string }) => u.id),
    ).to.deep.equal([created.id]);
    expect(
      (await advisors.scim.get(`/Users?filter=${encodeURIComponent('userName eq "room214@andmoney.dk"')}`).expect(200))
        .body.totalResults,
    ).to.equal(0);
    await advisors.scim.get(`/Users/${created.id}`).expect(404);
  });

  it('each token opens its own endpoint only: elsewhere it gets a SCIM 401', async () => {
    for (const url of [`${ROOMS}/Users`, `${SCIM}/Users`, '/identity/scim/Users']) {
      const res = await advisors.http.get(url).set('Authorization', `Bearer ${advisors.token}`).expect(401);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    await asRooms(advisors.http.get('/identity/advisors/scim/Users')).expect(401);
  });

  it('each endpoint has its own discovery documents', async () => {
    const config = (await asRooms(advisors.http.get(`${ROOMS}/ServiceProviderConfig`)).expect(200)).body;
    expect(config.meta.location).to.equal(`http://127.0.0.1${ROOMS}/ServiceProviderConfig`);
    const types = (await asRooms(advisors.http.get(`${ROOMS}/ResourceTypes`)).expect(200)).body.Resources;
    expect(types.map((t: { id: string; meta: { location: string } }) => [t.id, t.meta.location])).to.deep.equal([
      ['User', `http://127.0.0.1${ROOMS}/ResourceTypes/User`],
    ]);
    expect(await advertisedSchemas(advisors)).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });

  it('updates the work address, disables and deletes an advisor', async () => {
    const user = await provision(
      advisors,
      { attribute: 'userName', value: 'lars@andmoney.dk' },
      advisor('lars@andmoney.dk', 3),
    );
    await patch(advisors, user.id, {
      op: 'Replace',
      path: 'addresses[type eq "work"].formatted',
      value: 'Odense office',
    }).expect(204);
    expect((await advisors.scim.get(`/Users/${user.id}`).expect(200)).body.addresses[0].formatted).to.equal(
      'Odense office',
    );
    await disable(advisors, user.id).expect(204);
    expect((await advisors.identity.store.users.get(advisors.connector.id, user.id))?.active).to.equal(false);
    await advisors.scim.delete(`/Users/${user.id}`).expect(204);
    await advisors.scim.get(`/Users/${user.id}`).expect(404);
  });

  it("refuses an endpoint name that would shadow the connector's own routes", async () => {
    let error: Error | undefined;
    try {
      await advisors.identity.store.connectors.updateSettings(rooms.connectorId, { scimEndpoint: 'admin' });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/scimEndpoint must be null or one lower-case path segment/);
  });
});
