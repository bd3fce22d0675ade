import { expect } from 'chai';
import { IdentityConnectorError, NotFound, PreconditionFailed } from '../../lib/model/errors.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describeEachDatabase('The group-write path (policy/groups.ts) and its audit rows', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  const rowsOf = async (groupId: string) =>
    (await h.identity.store.audit.list(h.connector.id, { limit: 100 })).filter((e) => e.resourceId === groupId);
  const newGroup = async (displayName: string) =>
    (await h.scim.post('/Groups', { schemas: [GROUP], displayName }).expect(201)).body as { id: string };

  it('a group PATCH through SCIM produces exactly one audit row, committed with the change', async () => {
    const user = (await h.scim.post('/Users', entraUser('patch.member@contoso.com')).expect(201)).body;
    const group = await newGroup('Patched');
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Add', path: 'members', value: [{ value: user.id }] }],
      })
      .expect(204);
    // Read after the answer: the row is already there (same transaction as the membership).
    const rows = (await rowsOf(group.id)).filter((e) => e.operation === 'group.patch');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ outcome: 'success', status: 204, resourceType: 'Group' });
    expect(JSON.parse(rows[0].detail!)).to.include({ membersAdded: 1, membersRemoved: 0 });
    expect(
      (await h.identity.store.groups.get(h.connector.id, group.id, { withMembers: true }))!.members!.map(
        (m) => m.value,
      ),
    ).to.deep.equal([user.id]);
  });

  it('a stale If-Match is PreconditionFailed (412 over SCIM) and leaves no audit row of a change', async () => {
    const group = await newGroup('Versioned');
    const res = await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Replace', path: 'displayName', value: 'Renamed' }],
      })
      .set('If-Match', 'W/"7"')
      .expect(412);
    expect(res.body.detail).to.match(/changed since version 7/);
    const connector = h.connector;
    const error = await h.identity.groups
      .patch(
        connector,
        group.id,
        () => ({ document: undefined, membership: [] }),
        { actor: 'host' },
        { expectedVersion: 7 },
      )
      .catch((e: unknown) => e);
    expect(error)
      .to.be.instanceOf(PreconditionFailed)
      .and.instanceOf(IdentityConnectorError)
      .and.include({ status: 412 });
    const rows = await rowsOf(group.id);
    expect(rows.filter((e) => e.operation === 'group.patch' && e.outcome === 'success')).to.deep.equal([]);
    expect((await h.identity.store.groups.get(h.connector.id, group.id))!.displayName).to.equal('Versioned');
  });

  it('a failed group write (a member that does not exist) rolls back and leaves no audit row of a change', async () => {
    const group = await newGroup('Refused');
    await h.scim
      .patch(`/Groups/${group.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'displayName', value: 'Half written' },
          { op: 'Add', path: 'members', value: [{ value: 'no-such-user' }] },
        ],
      })
      .expect(400);
    const rows = await rowsOf(group.id);
    expect(rows.filter((e) => e.operation === 'group.patch').map((e) => e.outcome)).to.deep.equal(['failure']);
    expect((await h.identity.store.groups.get(h.connector.id, group.id))!.displayName).to.equal('Refused');
  });

  it("the host writes groups through the same path: prefix, audit row with actor host, NotFound for another connector's group", async () => {
    const group = await h.identity.groups.create(
      h.connector,
      { schemas: [GROUP], displayName: 'From the host' },
      { actor: 'host' },
    );
    const [row] = (await rowsOf(group.id)).filter((e) => e.operation === 'group.create');
    expect(row).to.include({ actor: 'host', outcome: 'success' });
    const other = await h.identity.store.connectors.create({
      organizationId: 'org-other',
      name: `other-${group.id.slice(0, 6)}`,
    });
    const error = await h.identity.groups.delete(other, group.id, { actor: 'host' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotFound).and.include({ status: 404, code: 'not_found' });
    expect(await h.identity.store.groups.get(h.connector.id, group.id)).to.not.equal(undefined);
  });
});
