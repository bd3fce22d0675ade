import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, SCIM, type ScimHarness } from '../support/scim-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patchOps = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

async function createUsers(h: ScimHarness, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  await h.identity.store.transaction(async (tx) => {
    for (let i = 0; i < count; i++) {
      const user = await tx.users.create(h.connector.id, {
        document: entraUser(`${prefix}${i}@contoso.com`),
        loginMethod: 'builtin',
      });
      ids.push(user.id);
    }
  });
  return ids;
}

async function memberIds(h: ScimHarness, groupId: string): Promise<string[]> {
  const group = await h.identity.store.groups.get(h.connector.id, groupId, { withMembers: true });
  return (group?.members ?? []).map((m) => m.value).sort();
}

describeEachDatabase('SCIM Groups', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db);
  });
  after(async () => {
    await h.close();
  });

  describe("replay of Entra's group cycle", () => {
    let users: string[];
    let groupId: string;
    before(async function () {
      this.timeout(120_000);
      users = await createUsers(h, 1000, 'member');
    });

    it('POST /Groups creates the group with its first members (201, members with value, $ref, display)', async () => {
      const res = await h.scim.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Sales',
        externalId: 'entra-group-1',
        members: [{ value: users[0] }],
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      groupId = res.body.id;
      expect(res.headers.etag).to.equal('W/"1"');
      expect(res.body.members).to.have.length(1);
      expect(res.body.members[0]).to.include({
        value: users[0],
        $ref: `http://127.0.0.1/identity/scim/v2/Users/${users[0]}`,
        display: 'member0',
      });
    });
    it('lookup by displayName with excludedAttributes=members finds it without members', async () => {
      const res = await h.scim.get(
        `/Groups?filter=${encodeURIComponent('displayName eq "sales"')}&excludedAttributes=members`,
      );
      expect(res.body.totalResults).to.equal(1);
      expect(res.body.Resources[0].id).to.equal(groupId);
      expect(res.body.Resources[0]).to.not.have.property('members');
    });
    it("adds 1,000 members in batches of Entra's size (Add with many values per request)", async function () {
      this.timeout(60_000);
      for (let i = 0; i < users.length; i += 250) {
        const res = await h.scim.patch(
          `/Groups/${groupId}`,
          patchOps({ op: 'Add', path: 'members', value: users.slice(i, i + 250).map((value) => ({ value })) }),
        );
        expect(res.status, JSON.stringify(res.body)).to.equal(204);
      }
      expect(await memberIds(h, groupId)).to.deep.equal([...users].sort());
    });
    it('adds 1,000 members in ONE request, duplicates ignored', async function () {
      this.timeout(60_000);
      const res = await h.scim.patch(
        `/Groups/${groupId}`,
        patchOps({ op: 'add', path: 'members', value: users.map((value) => ({ value })) }),
      );
      expect(res.status).to.equal(204);
      expect(await memberIds(h, groupId)).to.have.length(1000);
    });
    it('removes members by value filter, and by a list of values; absent members are ignored', async () => {
      const res = await h.scim.patch(
        `/Groups/${groupId}`,
        patchOps(
          { op: 'Remove', path: `members[value eq "${users[0]}"]` },
          {
            op: 'Remove',
            path: 'members',
            value: [{ value: users[1] }, { value: users[2] }, { value: 'not-a-member-anyway' }],
          },
        ),
      );
      expect(res.status, JSON.stringify(res.body)).to.equal(204);
      const remaining = await memberIds(h, groupId);
      expect(remaining).to.have.length(997);
      expect(remaining).to.not.include.members([users[0], users[1], users[2]]);
    });
    it('replace of displayName renames it', async () => {
      const res = await h.scim.patch(
        `/Groups/${groupId}`,
        patchOps({ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }),
      );
      expect(res.status).to.equal(204);
      expect((await h.scim.get(`/Groups/${groupId}?excludedAttributes=members`)).body.displayName).to.equal(
        'Sales EMEA',
      );
    });
    it("a user's groups (readOnly) list the group", async () => {
      const res = await h.scim.get(`/Users/${users[10]}`);
      expect(res.body.groups).to.deep.equal([
        {
          value: groupId,
          $ref: `http://127.0.0.1/identity/scim/v2/Groups/${groupId}`,
          display: 'Sales EMEA',
          type: 'direct',
        },
      ]);
    });
    it('deleting a user removes its memberships', async () => {
      expect((await h.scim.delete(`/Users/${users[10]}`)).status).to.equal(204);
      expect(await memberIds(h, groupId)).to.not.include(users[10]);
    });
    it('DELETE removes the group and its memberships (204, then 404)', async () => {
      expect((await h.scim.delete(`/Groups/${groupId}`)).status).to.equal(204);
      expect((await h.scim.get(`/Groups/${groupId}`)).status).to.equal(404);
      const rows = await h
        .knex(h.identity.store.tables.groupMembers)
        .where({ group_id: groupId })
        .count({ n: '*' })
        .first();
      expect(Number(rows?.n)).to.equal(0);
    });
  });

  describe('membership PATCH shapes and errors', () => {
    let users: string[];
    before(async () => {
      users = await createUsers(h, 5, 'shape');
    });

    it('replace of members sets exactly the given list', async () => {
      const group = (
        await h.scim.post('/Groups', {
          schemas: [GROUP],
          displayName: 'Replace me',
          members: [{ value: users[0] }, { value: users[1] }],
        })
      ).body;
      expect(
        (
          await h.scim.patch(
            `/Groups/${group.id}`,
            patchOps({ op: 'replace', path: 'members', value: [{ value: users[2] }] }),
          )
        ).status,
      ).to.equal(204);
      expect(await memberIds(h, group.id)).to.deep.equal([users[2]]);
    });
    it('remove of members without a value removes them all', async () => {
      const group = (
        await h.scim.post('/Groups', {
          schemas: [GROUP],
          displayName: 'Clear me',
          members: users.map((value) => ({ value })),
        })
      ).body;
      expect((await h.scim.patch(`/Groups/${group.id}`, patchOps({ op: 'remove', path: 'members' }))).status).to.equal(
        204,
      );
      expect(await memberIds(h, group.id)).to.deep.equal([]);
    });
    it('a member id that is not a user of this connector answers 400 invalidValue naming it, and nothing of the request applies', async () => {
      const group = (
        await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Strict', members: [{ value: users[0] }] })
      ).body;
      const res = await h.scim.patch(
        `/Groups/${group.id}`,
        patchOps(
          { op: 'replace', path: 'displayName', value: 'Strict renamed' },
          { op: 'add', path: 'members', value: [{ value: users[1] }, { value: 'ghost-user' }] },
        ),
      );
      expect(res.status).to.equal(400);
      expect(res.body).to.include({ status: '400', scimType: 'invalidValue' });
      expect(res.body.detail).to.include('ghost-user');
      expect(await memberIds(h, group.id)).to.deep.equal([users[0]]);
      expect((await h.scim.get(`/Groups/${group.id}`)).body.displayName).to.equal('Strict');
    });
    it('a user of another connector is refused as a member', async () => {
      const other = await h.identity.store.connectors.create({ organizationId: 'org-2', name: 'Other' });
      const stranger = await h.identity.users.create(other, entraUser('stranger@fabrikam.com'), { actor: 'test' });
      const res = await h.scim.post('/Groups', {
        schemas: [GROUP],
        displayName: 'No strangers',
        members: [{ value: stranger.id }],
      });
      expect(res.status).to.equal(400);
      expect(
        (await h.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "No strangers"')}`)).body.totalResults,
      ).to.equal(0);
    });
    it('filter id eq … and members[value eq …] tells whether a user is a member', async () => {
      const group = (
        await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Probe', members: [{ value: users[3] }] })
      ).body;
      const yes = await h.scim.get(
        `/Groups?filter=${encodeURIComponent(`id eq "${group.id}" and members[value eq "${users[3]}"]`)}&excludedAttributes=members`,
      );
      const no = await h.scim.get(
        `/Groups?filter=${encodeURIComponent(`id eq "${group.id}" and members[value eq "${users[4]}"]`)}&excludedAttributes=members`,
      );
      expect([yes.body.totalResults, no.body.totalResults]).to.deep.equal([1, 0]);
    });
    it('a duplicate displayName answers 409 uniqueness', async () => {
      await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Twice' });
      const res = await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'TWICE' });
      expect(res.status).to.equal(409);
      expect(res.body.scimType).to.equal('uniqueness');
    });
  });

  describe('concurrency over a real socket', () => {
    let server: Server;
    let base: string;
    before(async () => {
      server = h.app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SCIM}`;
    });
    after(() => {
      server.close();
    });
    const call = (method: string, path: string, body: unknown) =>
      fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${h.token}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify(body),
      });

    it('two PATCH requests adding different members to one group at once lose nothing', async function () {
      this.timeout(60_000);
      const users = await createUsers(h, 200, 'race');
      const group = (await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Race' })).body;
      const halves = [users.slice(0, 100), users.slice(100)];
      const responses = await Promise.all(
        halves.flatMap((half) =>
          [0, 1].map((i) =>
            call(
              'PATCH',
              `/Groups/${group.id}`,
              patchOps({
                op: 'Add',
                path: 'members',
                value: half.slice(i * 50, i * 50 + 50).map((value) => ({ value })),
              }),
            ),
          ),
        ),
      );
      expect(responses.map((r) => r.status)).to.deep.equal([204, 204, 204, 204]);
      expect(await memberIds(h, group.id)).to.deep.equal([...users].sort());
    });
    it('two requests creating the same displayName at once do not both succeed', async () => {
      const responses = await Promise.all(
        [0, 1, 2, 3].map(() => call('POST', '/Groups', { schemas: [GROUP], displayName: 'Parallel' })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).to.deep.equal([201, 409, 409, 409]);
    });
  });
});

describeEachDatabase('Per-connector group settings', (db) => {
  describe('groups disabled (IFS Ultimo: users only)', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { groupsEnabled: false } });
    });
    after(async () => {
      await h.close();
    });

    it('every /Groups call answers a clear SCIM error', async () => {
      for (const res of [
        await h.scim.get('/Groups'),
        await h.scim.post('/Groups', { displayName: 'x' }),
        await h.scim.patch('/Groups/x', patchOps({ op: 'add', path: 'members', value: [] })),
      ]) {
        expect(res.status).to.equal(403);
        expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
        expect(res.body.detail).to.match(/does not provision groups/);
      }
    });
    it('/ResourceTypes and /Schemas leave Group out', async () => {
      const types = (await h.scim.get('/ResourceTypes')).body.Resources.map((r: { id: string }) => r.id);
      const schemas = (await h.scim.get('/Schemas')).body.Resources.map((r: { id: string }) => r.id);
      expect(types).to.deep.equal(['User']);
      expect(schemas).to.not.include(GROUP);
      expect((await h.scim.get(`/Schemas/${GROUP}`)).status).to.equal(404);
    });
  });

  describe('display-name prefix (Staffbase: "[SCIM] <displayName>")', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db, { settings: { groupDisplayNamePrefix: '[SCIM] ' } });
    });
    after(async () => {
      await h.close();
    });

    it('stores the prefixed name, shows Entra its own name and finds the group by it', async () => {
      const created = (
        await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Marketing', externalId: 'obj-1' })
      ).body;
      expect(created.displayName).to.equal('Marketing');
      const stored = await h.identity.store.groups.get(h.connector.id, created.id);
      expect(stored?.displayName).to.equal('[SCIM] Marketing');
      const found = await h.scim.get(
        `/Groups?filter=${encodeURIComponent('displayName eq "Marketing"')}&excludedAttributes=members`,
      );
      expect(found.body.totalResults).to.equal(1);
    });
  });

  describe('default group for new users', () => {
    let h: ScimHarness;
    before(async () => {
      h = await startScimHarness(db);
    });
    after(async () => {
      await h.close();
    });

    it('a user created over SCIM or through the store joins the default group', async () => {
      const group = (await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Everyone' })).body;
      await h.identity.store.connectors.setDefaultGroup(h.connector.id, group.id);
      const viaScim = (await h.scim.post('/Users', entraUser('new1@contoso.com'))).body;
      expect(viaScim.groups.map((g: { value: string }) => g.value)).to.deep.equal([group.id]);
      const viaHost = await h.identity.users.create(
        h.connector,
        entraUser('new2@contoso.com'),
        { actor: 'host' },
        { read: { withGroups: true } },
      );
      expect(viaHost.groups?.map((g) => g.id)).to.deep.equal([group.id]);
    });
    it('the admin can change the default group; later users join the new one', async () => {
      const other = (await h.scim.post('/Groups', { schemas: [GROUP], displayName: 'Staff' })).body;
      await h.identity.store.connectors.setDefaultGroup(h.connector.id, other.id);
      const user = (await h.scim.post('/Users', entraUser('new3@contoso.com'))).body;
      expect(user.groups.map((g: { display: string }) => g.display)).to.deep.equal(['Staff']);
    });
    it('naming a group of another connector (or none that exists) is a clear configuration error', async () => {
      let error: Error | undefined;
      try {
        await h.identity.store.connectors.setDefaultGroup(h.connector.id, 'no-such-group');
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.match(/not a group of connector/);
    });
    it('deleting the default group clears the setting; users are still created', async () => {
      const connector = await h.identity.store.connectors.require(h.connector.id);
      expect((await h.scim.delete(`/Groups/${connector.defaultGroupId}`)).status).to.equal(204);
      expect((await h.identity.store.connectors.require(h.connector.id)).defaultGroupId).to.equal(null);
      const user = (await h.scim.post('/Users', entraUser('new4@contoso.com'))).body;
      expect(user.groups).to.deep.equal([]);
    });
  });
});
