import { expect } from 'chai';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';
import { PATCH_OP } from './entra-cycle.js';

/**
 * The modelled platform (002), "Setup Attribute Mapping": "Email (this must be unique per user
 * since it is used as our username)". The preset turns `uniqueEmail` on: a second user with an
 * email another user has — in any letter case, by POST, PUT or PATCH, or by concurrent requests —
 * gets 409 `uniqueness`, and nothing of it is written.
 */
describeEachDatabase('The modelled platform: email unique per user', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db, { preset: 'modelled-platform' });
  });
  after(async () => {
    await h.close();
  });

  const user = (userName: string, email: string, extra: Record<string, unknown> = {}) =>
    entraUser(userName, { emails: [{ type: 'work', value: email, primary: true }], userType: 'Standard', ...extra });
  const expectUniqueness = (res: { body: Record<string, unknown> }) => {
    expect(res.body.scimType).to.equal('uniqueness');
    expect(String(res.body.detail)).to.include('email');
  };

  it('is on in the modelled-platform preset, off by default', async () => {
    expect(h.connector.settings.uniqueEmail).to.equal(true);
    const plain = await h.identity.store.connectors.create({ organizationId: 'org-2', name: 'plain' });
    expect(plain.settings.uniqueEmail).to.equal(false);
  });

  it('refuses a second user with the same email (another userName, another letter case): 409 uniqueness', async () => {
    await h.scim.post('/Users', user('grace.hopper@contoso.com', 'grace@contoso.com')).expect(201);
    expectUniqueness(await h.scim.post('/Users', user('g.hopper@contoso.com', 'Grace@Contoso.com')).expect(409));
    const found = await h.scim.get('/Users').query({ filter: 'userName eq "g.hopper@contoso.com"' }).expect(200);
    expect(found.body.totalResults).to.equal(0);
  });

  it("refuses a PATCH or PUT that gives a user another user's email, and leaves the user as it was", async () => {
    await h.scim.post('/Users', user('alan.turing@contoso.com', 'alan@contoso.com')).expect(201);
    const ada = (await h.scim.post('/Users', user('ada.lovelace@contoso.com', 'ada@contoso.com')).expect(201)).body;
    expectUniqueness(
      await h.scim
        .patch(`/Users/${ada.id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'alan@contoso.com' }],
        })
        .expect(409),
    );
    expectUniqueness(
      await h.scim.put(`/Users/${ada.id}`, user('ada.lovelace@contoso.com', 'ALAN@contoso.com')).expect(409),
    );
    const after = (await h.scim.get(`/Users/${ada.id}`).expect(200)).body;
    expect(after.emails).to.deep.equal([{ type: 'work', value: 'ada@contoso.com', primary: true }]);
  });

  it('lets a user keep its own email through updates, and frees an email its user gave up', async () => {
    const kept = (await h.scim.post('/Users', user('kept.mail@contoso.com', 'kept@contoso.com')).expect(201)).body;
    await h.scim
      .patch(`/Users/${kept.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Replace', path: 'displayName', value: 'Kept' }],
      })
      .expect(204);
    await h.scim.put(`/Users/${kept.id}`, user('kept.mail@contoso.com', 'KEPT@contoso.com')).expect(200);
    await h.scim
      .patch(`/Users/${kept.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'kept.new@contoso.com' }],
      })
      .expect(204);
    await h.scim.post('/Users', user('next.owner@contoso.com', 'kept@contoso.com')).expect(201);
  });

  it('is race-safe: of concurrent creates with one email, exactly one succeeds', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.scim.post('/Users', user(`racer.${i}@contoso.com`, 'race@contoso.com'))),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of answers.filter((a) => a.status === 409)) expectUniqueness(r);
  });

  it('is race-safe for updates too: of concurrent PATCHes moving two users to one email, one succeeds', async () => {
    const a = (await h.scim.post('/Users', user('first.mover@contoso.com', 'first@contoso.com')).expect(201)).body;
    const b = (await h.scim.post('/Users', user('second.mover@contoso.com', 'second@contoso.com')).expect(201)).body;
    const move = (id: string) =>
      h.scim.patch(`/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'contested@contoso.com' }],
      });
    const statuses = (await Promise.all([move(a.id), move(b.id)])).map((r) => r.status).sort();
    expect(statuses).to.deep.equal([204, 409]);
  });
});
