import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AdminAuditEvent } from '../../lib/model/admin-wire.js';
import { describeEachDatabase } from '../support/databases.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient, type AdminClient } from './admin-client.js';

/** The log answers "what happened to whom" after real SCIM requests, as Entra sends them. */
describeEachDatabase('Provisioning log: what happened to whom', (db) => {
  let h: HostHarness;
  let admin: AdminClient;
  let token: string;
  let alice: { id: string; userName: string };
  let finance: { id: string };

  const scim = (method: 'post' | 'patch', path: string, body: object) =>
    request(h.appOrigin)
      [method](`${MOUNT}/scim/v2${path}`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/scim+json')
      .send(body);
  const log = async (query = '') =>
    (await admin.get(`/connectors/${h.connector.id}/audit?${query}`)).body.events as AdminAuditEvent[];

  before(async () => {
    h = await startHostHarness(db);
    admin = await adminClient(h);
    token = (await h.store.tokens.create(h.connector.id, { label: 'entra' })).token;
    const userName = `alice.${randomUUID().slice(0, 6)}@contoso.example`;
    const created = await scim('post', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      displayName: 'Alice Smith',
      title: 'Analyst',
      active: true,
    });
    expect(created.status).to.equal(201);
    alice = { id: created.body.id, userName };
    const group = await scim('post', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Finance Team',
    });
    finance = { id: group.body.id };
    // Entra's deactivation and a title change, then adding Alice to Finance Team.
    expect(
      (
        await scim('patch', `/Users/${alice.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [
            { op: 'Replace', path: 'active', value: 'False' },
            { op: 'Replace', path: 'title', value: 'Controller' },
          ],
        })
      ).status,
    ).to.be.oneOf([200, 204]);
    expect(
      (
        await scim('patch', `/Groups/${finance.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: alice.id }] }],
        })
      ).status,
    ).to.be.oneOf([200, 204]);
  });
  after(async () => {
    await h?.close();
  });

  it('names the user and says what changed, old → new, for single-valued attributes', async () => {
    const [patch] = await log('operation=user.patch');
    expect(patch).to.include({ resourceName: alice.userName, resourceId: alice.id, outcome: 'success' });
    const detail = JSON.parse(patch.detail!);
    expect(detail.changed).to.deep.equal(['active', 'title']);
    expect(detail.values).to.deep.equal({
      active: { from: true, to: false },
      title: { from: 'Analyst', to: 'Controller' },
    });
  });

  it('names the group and the members added', async () => {
    const [entry] = await log('operation=group.patch');
    expect(entry).to.include({ resourceName: 'Finance Team', resourceType: 'Group' });
    expect(entry.membersAdded).to.deep.equal([alice.userName]);
    expect(entry.membersRemoved).to.deep.equal([]);
  });

  it('filters by user (userName or id), outcome and operation, in SQL, and pages with nextBeforeId', async () => {
    const byName = await log(`user=${encodeURIComponent(alice.userName.toUpperCase())}`);
    expect(byName.map((e) => e.operation)).to.deep.equal(['user.patch', 'user.create']);
    expect((await log(`user=${alice.id}`)).map((e) => e.id)).to.deep.equal(byName.map((e) => e.id));
    expect(await log('outcome=failure')).to.deep.equal([]);
    const first = await admin.get(`/connectors/${h.connector.id}/audit?limit=1`);
    const next = await admin.get(`/connectors/${h.connector.id}/audit?limit=1&beforeId=${first.body.nextBeforeId}`);
    expect(next.body.events[0].id).to.be.below(first.body.events[0].id);
    expect((await admin.get(`/connectors/${h.connector.id}/audit?outcome=maybe`)).status).to.equal(400);
  });

  it('shows it on the page in words, with the user linked to their page (attributes, groups, history)', async () => {
    const page = await request(h.appOrigin)
      .get(`${MOUNT}/admin/connectors/${h.connector.id}`)
      .set('x-test-admin', 'yes')
      .set('Accept', 'text/html');
    expect(page.text).to.include(
      'Changed <code>active</code> true → false, <code>title</code> “Analyst” → “Controller”',
    );
    expect(page.text).to.include(`Added ${alice.userName}`);
    const userPage = await request(h.appOrigin)
      .get(`${MOUNT}/admin/connectors/${h.connector.id}/users/${alice.id}`)
      .set('x-test-admin', 'yes')
      .set('Accept', 'text/html');
    expect(userPage.status).to.equal(200);
    expect(userPage.text).to.include('Finance Team').and.include('Controller').and.include('user.patch');
  });
});
