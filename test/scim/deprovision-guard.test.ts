import { expect } from 'chai';
import request from 'supertest';
import type { Connector } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser } from '../support/scim-harness.js';
import { adminClient, API, type AdminClient } from '../admin/admin-client.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const deactivate = { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] };

describeEachDatabase('Mass-deprovisioning guard', (db) => {
  let h: HostHarness;
  let admin: AdminClient;
  before(async () => {
    h = await startHostHarness(db);
    admin = await adminClient(h);
  });
  after(async () => {
    await h?.close();
  });

  let counter = 0;
  /** A connector of its own with a SCIM token, and Entra's requests to it over HTTP. */
  async function entraConnector(settings: unknown) {
    const connector = await h.store.connectors.create({
      organizationId: 'org-contoso',
      name: `Guarded ${++counter}`,
      settings,
    });
    const { token } = await h.store.tokens.create(connector.id);
    const scim = (test: request.Test, body?: unknown) => {
      const authed = test.set('Authorization', `Bearer ${token}`).set('Accept', 'application/scim+json');
      return body === undefined
        ? authed
        : authed.set('Content-Type', 'application/scim+json').send(JSON.stringify(body));
    };
    const http = request(h.appOrigin);
    const base = `${MOUNT}/scim/v2`;
    return {
      connector,
      post: (path: string, body: unknown) => scim(http.post(base + path), body),
      put: (path: string, body: unknown) => scim(http.put(base + path), body),
      patch: (path: string, body: unknown) => scim(http.patch(base + path), body),
      get: (path: string) => scim(http.get(base + path)),
      delete: (path: string) => scim(http.delete(base + path)),
      async users(n: number): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 0; i < n; i += 1)
          ids.push(
            (await scim(http.post(`${base}/Users`), entraUser(`u${i}.${connector.id.slice(0, 8)}@contoso.com`))).body
              .id,
          );
        return ids;
      },
    };
  }

  const pausedEvents = (connector: Connector) => {
    const seen: unknown[] = [];
    h.runtime.events.on('connector.deprovisioning-paused', (event) => {
      if (event.connectorId === connector.id) seen.push(event);
    });
    return seen;
  };

  it('below the threshold deactivations and deletions go through; the one that crosses it pauses the connector and answers 503 with a SCIM error, changing nothing', async () => {
    // 10 users: 20% is 2, so the floor of 3 is the threshold.
    const entra = await entraConnector({ deprovisionGuard: { percent: 20, windowMinutes: 60, minimumUsers: 3 } });
    const events = pausedEvents(entra.connector);
    const [a, b, c, d, e] = await entra.users(10);
    expect((await entra.patch(`/Users/${a}`, deactivate)).status).to.equal(204);
    expect(
      (await entra.put(`/Users/${b}`, entraUser(`u1.${entra.connector.id.slice(0, 8)}@contoso.com`, { active: false })))
        .status,
    ).to.equal(200);
    expect((await entra.delete(`/Users/${c}`)).status).to.equal(204);
    expect((await h.store.connectors.require(entra.connector.id)).deprovisioningPausedAt).to.equal(null);
    expect(events).to.have.length(0);

    const before = (await entra.get(`/Users/${d}`)).body;
    const refused = await entra.patch(`/Users/${d}`, deactivate);
    expect(refused.status).to.equal(503);
    expect(refused.headers['retry-after']).to.equal('600');
    expect(refused.body).to.include({ status: '503' });
    expect(refused.body.schemas).to.deep.equal([ERROR]);
    expect(refused.body.detail).to.match(/deprovisioning is paused/);
    const after = (await entra.get(`/Users/${d}`)).body;
    expect(after.active).to.equal(true);
    expect(after.meta.version).to.equal(before.meta.version);

    // While paused: every deprovisioning write is refused, the event does not fire again.
    expect((await entra.delete(`/Users/${e}`)).status).to.equal(503);
    expect((await entra.get(`/Users/${e}`)).status).to.equal(200);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({
      connectorId: entra.connector.id,
      deprovisioned: 4,
      threshold: 3,
      windowMinutes: 60,
    });
    const paused = await h.store.audit.list(entra.connector.id, { operation: 'connector.deprovisioning-paused' });
    expect(paused).to.have.length(1);
    expect(JSON.parse(paused[0].detail!)).to.deep.equal({ deprovisioned: 4, threshold: 3, windowMinutes: 60 });
    const logged = h.logs.filter(
      (line) => line.includes('mass-deprovisioning guard paused') && line.includes(entra.connector.id),
    );
    expect(logged).to.have.length(1);
  });

  it("above minimumUsers the percentage of the connector's users is the threshold", async () => {
    // 10 users (deactivations keep them): 30% is 3 (minimumUsers 1), so the fourth crosses it.
    const entra = await entraConnector({ deprovisionGuard: { percent: 30, windowMinutes: 60, minimumUsers: 1 } });
    const events = pausedEvents(entra.connector);
    const ids = await entra.users(10);
    for (const id of ids.slice(0, 3)) expect((await entra.patch(`/Users/${id}`, deactivate)).status).to.equal(204);
    expect((await entra.patch(`/Users/${ids[3]}`, deactivate)).status).to.equal(503);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ deprovisioned: 4, threshold: 3 });
  });

  it('concurrent deletions stop exactly at the threshold: the first ones pass unlocked, those near it count one after another', async () => {
    // minimumUsers 70 is the threshold (1 % of 90 is less); 70 is past the policy's in-flight
    // margin (64), so the first deletions take the unlocked path and the rest the locked one.
    const entra = await entraConnector({ deprovisionGuard: { percent: 1, windowMinutes: 60, minimumUsers: 70 } });
    const events = pausedEvents(entra.connector);
    const ids = await entra.users(90);
    const answers = await Promise.all(ids.map((id) => entra.delete(`/Users/${id}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 204)).to.have.length(70);
    expect(statuses.filter((s) => s === 503)).to.have.length(20);
    for (const refused of answers.filter((a) => a.status === 503))
      expect(refused.body.detail).to.match(/deprovisioning is paused/);
    expect((await entra.get('/Users?count=0')).body.totalResults).to.equal(20);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ deprovisioned: 71, threshold: 70 });
    // One pause, one audit row and one log line, however many writes tripped the guard at once.
    expect(
      await h.store.audit.list(entra.connector.id, { operation: 'connector.deprovisioning-paused' }),
    ).to.have.length(1);
    expect(
      h.logs.filter((line) => line.includes('mass-deprovisioning guard paused') && line.includes(entra.connector.id)),
    ).to.have.length(1);
  });

  it('while paused, creates and other updates continue', async () => {
    const entra = await entraConnector({ deprovisionGuard: { percent: 1, windowMinutes: 60, minimumUsers: 1 } });
    const [a, b] = await entra.users(2);
    expect((await entra.delete(`/Users/${a}`)).status).to.equal(204);
    expect((await entra.delete(`/Users/${b}`)).status).to.equal(503);
    const created = await entra.post('/Users', entraUser(`joiner.${entra.connector.id.slice(0, 8)}@contoso.com`));
    expect(created.status).to.equal(201);
    const renamed = await entra.patch(`/Users/${b}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'displayName', value: 'Still Here' }],
    });
    expect(renamed.status).to.equal(204);
    expect((await entra.get(`/Users/${b}`)).body).to.include({ displayName: 'Still Here', active: true });
  });

  it('the admin sees the pause and resumes it (audited); the held deprovisioning then goes through', async () => {
    const entra = await entraConnector({ deprovisionGuard: { percent: 1, windowMinutes: 60, minimumUsers: 1 } });
    const [a, b] = await entra.users(2);
    expect((await entra.delete(`/Users/${a}`)).status).to.equal(204);
    expect((await entra.delete(`/Users/${b}`)).status).to.equal(503);
    const shown = await admin.get(`/connectors/${entra.connector.id}`);
    expect(shown.body.deprovisioningPausedAt).to.be.a('string');

    const resumed = await admin.post(`/connectors/${entra.connector.id}/deprovisioning/resume`);
    expect(resumed.status).to.equal(200);
    expect(resumed.body.deprovisioningPausedAt).to.equal(null);
    const [record] = await h.store.audit.list(entra.connector.id, { operation: 'connector.deprovisioning-resumed' });
    expect(record).to.include({ actor: 'admin', outcome: 'success' });
    // Entra's retry of the refused DELETE now succeeds: the window starts afresh at the resume.
    expect((await entra.delete(`/Users/${b}`)).status).to.equal(204);
    expect((await admin.post(`/connectors/${entra.connector.id}/deprovisioning/resume`)).status).to.equal(409);
  });

  it('resuming needs the CSRF token', async () => {
    const res = await request(h.appOrigin)
      .post(`${API}/connectors/${h.connector.id}/deprovisioning/resume`)
      .set('x-test-admin', 'yes')
      .set('x-test-user', 'admin-1');
    expect(res.status).to.equal(403);
  });

  it('a connector with the guard off never pauses', async () => {
    const entra = await entraConnector({ deprovisionGuard: false });
    for (const id of await entra.users(4)) expect((await entra.delete(`/Users/${id}`)).status).to.equal(204);
    expect((await h.store.connectors.require(entra.connector.id)).deprovisioningPausedAt).to.equal(null);
  });

  it('the default guard lets a small connector deprovision everyone', async () => {
    const entra = await entraConnector(undefined);
    expect(entra.connector.settings.deprovisionGuard).to.deep.equal({
      percent: 20,
      windowMinutes: 60,
      minimumUsers: 50,
    });
    for (const id of await entra.users(5)) expect((await entra.patch(`/Users/${id}`, deactivate)).status).to.equal(204);
  });

  it('settings: the guard merges field by field and refuses malformed values naming the field', async () => {
    const path = `/connectors/${h.connector.id}/settings`;
    const merged = await admin.put(path, { deprovisionGuard: { minimumUsers: 200 } });
    expect(merged.body.settings.deprovisionGuard).to.deep.equal({ percent: 20, windowMinutes: 60, minimumUsers: 200 });
    for (const [value, message] of [
      [true, 'deprovisionGuard must be false or {"percent", "windowMinutes", "minimumUsers"}'],
      [{ percent: 0 }, 'deprovisionGuard.percent must be a whole number from 1 to 100'],
      [{ windowMinutes: 1.5 }, 'deprovisionGuard.windowMinutes must be a whole number from 1 to 10080'],
      [{ minimumUsers: '10' }, 'deprovisionGuard.minimumUsers must be a whole number from 1 to 1000000'],
      [{ limit: 3 }, 'deprovisionGuard: unknown field "limit"; fields are percent, windowMinutes, minimumUsers'],
    ] as const) {
      const res = await admin.put(path, { deprovisionGuard: value });
      expect(res.status, JSON.stringify(value)).to.equal(400);
      expect(res.body).to.deep.equal({ error: 'invalid_settings', field: 'deprovisionGuard', message });
    }
    expect((await admin.put(path, { deprovisionGuard: false })).body.settings.deprovisionGuard).to.equal(false);
  });
});
