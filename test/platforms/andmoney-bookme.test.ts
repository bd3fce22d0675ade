import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { ACTIVE, advertisedSchemas, disable, patch, provision } from './entra-cycle.js';

const objectId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The advisors mapping table, as Entra sends it. */
const advisor = (upn: string, n: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  active: ACTIVE, userName: upn, displayName: 'Mette Hansen', name: { givenName: 'Mette', familyName: 'Hansen' },
  addresses: [{ type: 'work', formatted: 'Aarhus office' }], externalId: objectId(n),
});

/** The rooms mapping table: no name parts. */
const room = (upn: string, n: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  active: ACTIVE, userName: upn, displayName: 'Meeting room 2.14', addresses: [{ type: 'work', formatted: 'Copenhagen, floor 2' }], externalId: objectId(n),
});

describeEachDatabase('&Money BookMe, from the "andmoney-bookme" preset (advisors and rooms)', (db) => {
  let advisors: ScimHarness;
  let rooms: { connectorId: string; token: string };
  before(async () => {
    advisors = await startScimHarness(db, { preset: 'andmoney-bookme' });
    // One Entra enterprise application per resource kind: a second connector with its own token.
    const connector = await advisors.identity.store.connectors.create({ organizationId: 'org-1', name: 'Rooms', preset: 'andmoney-bookme' });
    rooms = { connectorId: connector.id, token: (await advisors.identity.store.tokens.create(connector.id)).token };
  });
  after(async () => { await advisors.close(); });

  const asRooms = (t: ReturnType<ScimHarness['http']['get']>) => t.set('Authorization', `Bearer ${rooms.token}`).set('Content-Type', 'application/scim+json');

  it('provisions an advisor with the work address and externalId = Entra objectId', async () => {
    const created = await provision(advisors, { attribute: 'userName', value: 'mette@andmoney.dk' }, advisor('mette@andmoney.dk', 1));
    expect(created).to.deep.include({ externalId: objectId(1), displayName: 'Mette Hansen' });
    expect(created.addresses).to.deep.equal([{ type: 'work', formatted: 'Aarhus office' }]);
  });

  it('provisions a room through its own token, kept apart from the advisors', async () => {
    const created = (await asRooms(advisors.http.post(`${SCIM}/Users`)).send(JSON.stringify(room('room214@andmoney.dk', 2))).expect(201)).body;
    expect(created.addresses[0].formatted).to.equal('Copenhagen, floor 2');
    expect((await asRooms(advisors.http.get(`${SCIM}/Users`)).expect(200)).body.Resources.map((u: { id: string }) => u.id)).to.deep.equal([created.id]);
    expect((await advisors.scim.get(`/Users?filter=${encodeURIComponent('userName eq "room214@andmoney.dk"')}`).expect(200)).body.totalResults).to.equal(0);
    await advisors.scim.get(`/Users/${created.id}`).expect(404);
  });

  it('updates the work address, disables and deletes an advisor', async () => {
    const user = await provision(advisors, { attribute: 'userName', value: 'lars@andmoney.dk' }, advisor('lars@andmoney.dk', 3));
    await patch(advisors, user.id, { op: 'Replace', path: 'addresses[type eq "work"].formatted', value: 'Odense office' }).expect(204);
    expect((await advisors.scim.get(`/Users/${user.id}`).expect(200)).body.addresses[0].formatted).to.equal('Odense office');
    await disable(advisors, user.id).expect(204);
    expect((await advisors.identity.store.users.get(advisors.connector.id, user.id))?.active).to.equal(false);
    await advisors.scim.delete(`/Users/${user.id}`).expect(204);
    await advisors.scim.get(`/Users/${user.id}`).expect(404);
  });

  it('serves users only, with no extensions', async () => {
    expect(await advertisedSchemas(advisors)).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:User']);
  });
});
