import { expect } from 'chai';
import request from 'supertest';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient, API, type AdminClient } from './admin-client.js';

const SYSTAM = 'urn:ietf:params:scim:schemas:extension:systam:2.0:User';

describeEachDatabase("Admin API: the organization's workspaces (Systam)", (db) => {
  let h: HostHarness;
  let admin: AdminClient;
  let connector: Connector;

  before(async () => {
    h = await startHostHarness(db);
    connector = await h.store.connectors.create({
      organizationId: 'org-systam',
      name: 'Systam',
      preset: 'systam',
      settings: { workspaces: { values: { Helsinki: 'hki' } } },
    });
    admin = await adminClient(h, 'admin-1', 'org-systam');
  });
  after(async () => {
    await h?.close();
  });

  it("adds a workspace (201), renames it (200), lists it with the connector's users, and removes it: each audited", async () => {
    const added = await admin.post(`/connectors/${connector.id}/workspaces`, { id: 'main', name: 'Main office' });
    expect(added.status).to.equal(201);
    expect(added.body).to.include({ id: 'main', name: 'Main office', users: 0, primaryUsers: 0 });
    // The first workspace of the organization places the users that had none.
    const user = await h.runtime.users.create(
      connector,
      {
        userName: 'liisa@x.fi',
        emails: [{ type: 'work', value: 'liisa@x.fi' }],
        [SYSTAM]: { primaryWorkspace: 'Helsinki' },
      },
      { actor: 'test' },
    );
    expect(
      (await admin.post(`/connectors/${connector.id}/workspaces`, { id: 'hki', name: 'Helsinki' })).status,
    ).to.equal(201);
    expect(
      (await admin.post(`/connectors/${connector.id}/workspaces`, { id: 'main', name: 'Head office' })).status,
    ).to.equal(200);
    const listed = await admin.get(`/connectors/${connector.id}/workspaces`);
    expect(listed.status).to.equal(200);
    expect(
      listed.body.workspaces.map((w: { id: string; name: string; users: number; primaryUsers: number }) => [
        w.id,
        w.name,
        w.users,
        w.primaryUsers,
      ]),
    ).to.deep.equal([
      ['main', 'Head office', 0, 0],
      ['hki', 'Helsinki', 1, 1],
    ]);
    expect(listed.body.mapping).to.include({ sync: 'primary', attribute: `${SYSTAM}:primaryWorkspace` });

    const removed = await admin.delete(`/connectors/${connector.id}/workspaces/hki`);
    expect(removed.status).to.equal(200);
    expect(await h.store.workspaces.forUser(connector.id, user.id)).to.deep.equal({
      primary: 'main',
      workspaces: ['main'],
    });
    expect((await admin.delete(`/connectors/${connector.id}/workspaces/hki`)).status).to.equal(404);
    // The user's page says where the user is.
    const page = await request(h.appOrigin)
      .get(`/identity/admin/connectors/${connector.id}/users/${user.id}`)
      .set('x-test-org', 'org-systam')
      .set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('<dt>Workspaces</dt><dd><code>main</code> (primary)</dd>');
    const log = await h.store.audit.list(connector.id, { limit: 10 });
    const ops = log
      .filter((e) => e.operation.startsWith('workspace.'))
      .map((e) => [e.operation, e.actor, JSON.parse(e.detail!).by]);
    expect(ops).to.deep.equal([
      ['workspace.remove', 'admin', 'admin-1'],
      ['workspace.register', 'admin', 'admin-1'],
      ['workspace.register', 'admin', 'admin-1'],
      ['workspace.register', 'admin', 'admin-1'],
    ]);
  });

  it('refuses a malformed id or name with 400 naming the field, and a write without the CSRF token', async () => {
    for (const [body, field] of [
      [{ id: ' padded ' }, 'id'],
      [{ id: 'x'.repeat(192) }, 'id'],
      [{ id: 'ok', name: 'n'.repeat(256) }, 'name'],
    ] as const) {
      const res = await admin.post(`/connectors/${connector.id}/workspaces`, body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).to.equal(400);
      expect(res.body).to.include({ error: 'invalid_request', field });
    }
    expect((await admin.post(`/connectors/${connector.id}/workspaces`, { name: 'no id' })).status).to.equal(400);
    const forged = await request(h.appOrigin)
      .post(`${API}/connectors/${connector.id}/workspaces`)
      .set('x-test-org', 'org-systam')
      .send({ id: 'forged' });
    expect([forged.status, forged.body.error]).to.deep.equal([403, 'csrf']);
    expect(await h.store.workspaces.get('org-systam', 'forged')).to.equal(undefined);
  });
});
