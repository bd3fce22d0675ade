import { expect } from 'chai';
import type { IdentityEventMap } from '../../lib/model/events.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const HOST = { actor: 'host' };

/** A user the host created itself for its built-in password login, before Entra was connected. */
const hostUser = (h: ScimHarness, userName: string, extra: Record<string, unknown> = {}) =>
  h.identity.users.create(h.connector, { userName, ...extra }, HOST, {
    loginMethod: 'builtin',
    password: 'correct horse battery',
  });

describeEachDatabase('Matching and linking on create (matchOnCreate)', (db) => {
  describe('off by default', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db);
    });
    after(async () => {
      await h.close();
    });

    it('a POST for an existing userName answers 409 uniqueness', async () => {
      await hostUser(h, 'kim@contoso.com');
      const res = await h.scim.post('/Users', entraUser('kim@contoso.com')).expect(409);
      expect(res.body.scimType).to.equal('uniqueness');
    });
  });

  describe('by email (Systam)', () => {
    let h: ScimHarness;
    const linked: Array<IdentityEventMap['user.linked'][0]> = [];
    before(async () => {
      h = await startScimHarness(db, { settings: { matchOnCreate: 'email' } });
      h.identity.events.on('user.linked', (event) => linked.push(event));
    });
    after(async () => {
      await h.close();
    });

    it("links the host's built-in user with that userName and updates it; the login method stays the host's", async () => {
      const existing = await hostUser(h, 'ann@contoso.com');
      const res = await h.scim.post('/Users', entraUser('ann@contoso.com', { title: 'Host' })).expect(201);
      expect(res.body.id).to.equal(existing.id);
      expect(res.body).to.include({ externalId: 'oid-ann@contoso.com', title: 'Host' });
      const stored = await h.identity.store.users.get(h.connector.id, existing.id);
      expect(stored?.loginMethod).to.equal('builtin');
      expect(await h.identity.store.users.passwordHash(h.connector.id, existing.id)).to.be.a('string');
      expect(linked.map((e) => [e.user.id, e.matchedBy])).to.deep.include([existing.id, 'email']);
      const audit = await h.identity.store.audit.list(h.connector.id, { operation: 'user.link' });
      expect(audit.find((e) => e.resourceId === existing.id)?.detail).to.contain('"matchedBy":"email"');
    });

    it('matches the work email of a user whose userName differs (UPN ≠ email)', async () => {
      const existing = await hostUser(h, 'bo.local', { emails: [{ type: 'work', value: 'bo@contoso.com' }] });
      const res = await h.scim
        .post(
          '/Users',
          entraUser('bo@contoso.onmicrosoft.com', {
            emails: [{ type: 'work', value: 'BO@contoso.com', primary: true }],
          }),
        )
        .expect(201);
      expect(res.body.id).to.equal(existing.id);
      expect(res.body.userName).to.equal('bo@contoso.onmicrosoft.com');
    });

    it('does not take a user that another Entra object already owns', async () => {
      await h.scim.post('/Users', entraUser('cy@contoso.com')).expect(201);
      const res = await h.scim.post('/Users', entraUser('cy@contoso.com', { externalId: 'someone-else' })).expect(409);
      expect(res.body.scimType).to.equal('uniqueness');
    });

    it('refuses a protected match with 403 and changes nothing', async () => {
      const owner = await hostUser(h, 'owner@contoso.com');
      await h.identity.users.setAccess(h.connector, owner.id, { protected: true }, HOST);
      await h.scim.post('/Users', entraUser('owner@contoso.com')).expect(403);
      expect((await h.identity.store.users.get(h.connector.id, owner.id))?.externalId).to.equal(null);
    });

    it('with no match, creates as usual', async () => {
      const res = await h.scim.post('/Users', entraUser('new@contoso.com')).expect(201);
      expect(linked.some((e) => e.user.id === res.body.id)).to.equal(false);
    });
  });

  describe('by externalId (Staffbase)', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { matchOnCreate: 'externalId' } });
    });
    after(async () => {
      await h.close();
    });

    it('links the user holding that externalId, whatever its userName', async () => {
      const existing = await hostUser(h, 'dee.old', { externalId: 'emp-0042' });
      const res = await h.scim.post('/Users', entraUser('dee@contoso.com', { externalId: 'emp-0042' })).expect(201);
      expect(res.body.id).to.equal(existing.id);
      expect(res.body.userName).to.equal('dee@contoso.com');
      expect(await h.identity.store.users.count(h.connector.id)).to.equal(1);
    });
  });
});
