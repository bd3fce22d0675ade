import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Connector } from '../../lib/model/types.js';
import { PRESETS } from '../../lib/model/presets.js';
import { describeEachDatabase } from '../support/databases.js';
import { MOUNT, RP_CLIENT_SECRET, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { adminClient, API, type AdminClient } from './admin-client.js';

const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const NEW_SECRET = 'N3w~client.secret-9f2c4e6a8b0d1f3e5a7c';

describeEachDatabase('Admin JSON API: connectors, tokens, provisioning log', (db) => {
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
  /** A connector of its own per test, so tests do not see each other's tokens and settings. */
  const freshConnector = (): Promise<Connector> =>
    h.store.connectors.create({ organizationId: 'org-admin', name: `Connector ${++counter}` });
  const lastAudit = async (connectorId: string, operation: string) =>
    (await h.store.audit.list(connectorId, { operation, limit: 1 }))[0];

  describe('who may call it', () => {
    const endpoints = () => {
      const c = h.connector.id;
      return [
        ['get', '/connectors'],
        ['get', `/connectors/${c}`],
        ['put', `/connectors/${c}/settings`],
        ['put', `/connectors/${c}/oidc`],
        ['put', `/connectors/${c}/default-group`],
        ['get', `/connectors/${c}/tokens`],
        ['post', `/connectors/${c}/tokens`],
        ['delete', `/connectors/${c}/tokens/${randomUUID()}`],
        ['get', `/connectors/${c}/audit`],
        ['get', `/connectors/${c}/groups`],
      ] as const;
    };

    it('answers 403 JSON on every endpoint to anyone authorizeAdmin refuses', async () => {
      for (const [method, path] of endpoints()) {
        const response = await request(h.appOrigin)
          [method](`${API}${path}`)
          .set('x-test-user', 'not-an-admin')
          .send({});
        expect(response.status, `${method} ${path}`).to.equal(403);
        expect(response.body, `${method} ${path}`).to.deep.equal({
          error: 'forbidden',
          message: 'platform administrators only',
        });
      }
    });

    it('refuses every write without the CSRF token, and changes nothing', async () => {
      const before = await h.store.connectors.get(h.connector.id);
      const tokens = (await h.store.tokens.list(h.connector.id)).length;
      for (const [method, path] of endpoints().filter(([m]) => m !== 'get')) {
        const response = await request(h.appOrigin)
          [method](`${API}${path}`)
          .set('x-test-admin', 'yes')
          .set('x-test-user', 'admin-1')
          .send({ groupDisplayNamePrefix: 'x', clientId: 'x', groupId: null });
        expect(response.status, `${method} ${path}`).to.equal(403);
        expect(response.body.error, `${method} ${path}`).to.equal('csrf');
      }
      expect(await h.store.connectors.get(h.connector.id)).to.deep.include({
        settings: before!.settings,
        oidc: before!.oidc,
        defaultGroupId: before!.defaultGroupId,
      });
      expect(await h.store.tokens.list(h.connector.id)).to.have.length(tokens);
    });

    it('answers an unknown connector with 404 JSON on every connector route', async () => {
      for (const path of ['', '/tokens', '/audit', '/groups']) {
        const response = await admin.get(`/connectors/${randomUUID()}${path}`);
        expect(response.status, path).to.equal(404);
        expect(response.body.error).to.equal('not_found');
      }
      expect((await admin.put(`/connectors/${randomUUID()}/settings`, { groupsEnabled: false })).status).to.equal(404);
      expect((await admin.post(`/connectors/${randomUUID()}/tokens`, {})).status).to.equal(404);
    });
  });

  describe('GET /connectors and /connectors/:id', () => {
    it('lists connectors with their SCIM URL, redirect URI, OIDC settings (no secret), settings, default group and live token count', async () => {
      await h.store.tokens.create(h.connector.id, { label: 'listed' });
      const response = await admin.get('/connectors');
      expect(response.status).to.equal(200);
      const listed = response.body.connectors.find((c: { id: string }) => c.id === h.connector.id);
      expect(listed).to.include({
        organizationId: 'org-contoso',
        name: h.connector.name,
        scimUrl: `${h.appOrigin}${MOUNT}/scim/v2`,
        redirectUri: h.callbackUrl,
        defaultGroupId: null,
      });
      expect(listed.oidc).to.deep.equal({
        issuer: h.provider.issuer,
        clientId: h.connector.oidc.clientId,
        tenantId: h.connector.oidc.tenantId,
        hasClientSecret: true,
      });
      expect(listed.settings).to.deep.equal(h.connector.settings);
      expect(listed.liveTokenCount)
        .to.equal((await h.store.tokens.listLive(h.connector.id)).length)
        .and.be.greaterThan(0);
    });

    it('answers one connector in the same shape', async () => {
      const listed = (await admin.get('/connectors')).body.connectors.find(
        (c: { id: string }) => c.id === h.connector.id,
      );
      const one = await admin.get(`/connectors/${h.connector.id}`);
      expect(one.status).to.equal(200);
      expect(one.body).to.deep.equal(listed);
    });
  });

  describe('POST /connectors (from a preset)', () => {
    it("creates a connector with the preset's settings (and settings over them), audited, and answers it", async () => {
      const response = await admin.post('/connectors', {
        organizationId: 'org-new',
        name: 'Staffbase',
        preset: 'staffbase',
        settings: { deleteMode: 'deactivate' },
      });
      expect(response.status).to.equal(201);
      expect(response.headers.location).to.equal(`${API}/connectors/${response.body.id}`);
      expect(response.body).to.include({ organizationId: 'org-new', name: 'Staffbase', liveTokenCount: 0 });
      expect(response.body.settings).to.deep.include({ ...PRESETS.staffbase.settings, deleteMode: 'deactivate' });
      const stored = await h.store.connectors.get(response.body.id);
      expect(stored).to.include({ profile: 'staffbase', organizationId: 'org-new' });
      const entry = await lastAudit(response.body.id, 'connector.create');
      expect(entry).to.include({ actor: 'admin', outcome: 'success', status: 201 });
      expect(JSON.parse(entry.detail!)).to.deep.include({
        organizationId: 'org-new',
        name: 'Staffbase',
        preset: 'staffbase',
      });
    });

    it('refuses an unknown preset, bad settings, a missing name and a duplicate name, creating nothing', async () => {
      const before = (await h.store.connectors.list({ organizationId: 'org-refused' })).length;
      const unknown = await admin.post('/connectors', { organizationId: 'org-refused', name: 'X', preset: 'nope' });
      expect(unknown.status).to.equal(400);
      expect(unknown.body).to.include({ error: 'invalid_settings', field: 'preset' });
      expect(unknown.body.message).to.match(/unknown preset "nope"; presets: systam, staffbase/);
      expect(
        (
          await admin.post('/connectors', {
            organizationId: 'org-refused',
            name: 'X',
            settings: { deleteMode: 'sometimes' },
          })
        ).body,
      ).to.include({ error: 'invalid_settings', field: 'deleteMode' });
      expect((await admin.post('/connectors', { organizationId: 'org-refused', name: '  ' })).body).to.include({
        error: 'invalid_request',
        field: 'name',
      });
      expect((await admin.post('/connectors', { name: 'X' })).body).to.include({
        error: 'invalid_request',
        field: 'organizationId',
      });
      expect((await h.store.connectors.list({ organizationId: 'org-refused' })).length).to.equal(before);
      await admin
        .post('/connectors', { organizationId: 'org-refused', name: 'Twice' })
        .then((r) => expect(r.status).to.equal(201));
      const twice = await admin.post('/connectors', { organizationId: 'org-refused', name: 'Twice' });
      expect(twice.status).to.equal(409);
      expect(twice.body).to.include({ error: 'conflict', field: 'name' });
    });

    it("an organization's admin creates only in their own organization; another answers 404", async () => {
      const orgAdmin = await adminClient(h, 'org-admin-1', 'org-mine');
      expect(
        (await orgAdmin.post('/connectors', { organizationId: 'org-mine', name: 'Mine', preset: 'systam' })).status,
      ).to.equal(201);
      const other = await orgAdmin.post('/connectors', { organizationId: 'org-theirs', name: 'Theirs' });
      expect(other.status).to.equal(404);
      expect(await h.store.connectors.list({ organizationId: 'org-theirs' })).to.deep.equal([]);
    });

    it('needs the CSRF token like every write', async () => {
      const response = await request(h.appOrigin)
        .post(`${API}/connectors`)
        .set('x-test-admin', 'yes')
        .send({ organizationId: 'org-csrf', name: 'X' });
      expect(response.status).to.equal(403);
      expect(response.body.error).to.equal('csrf');
    });
  });

  describe('PUT /connectors/:id/settings', () => {
    it('merges a partial settings object, answers the connector and audits the change as admin', async () => {
      const c = await freshConnector();
      const response = await admin.put(`/connectors/${c.id}/settings`, {
        groupDisplayNamePrefix: '[SCIM] ',
        roleMap: { Admin: 'Admin', Reader: 'ReadOnly' },
      });
      expect(response.status).to.equal(200);
      expect(response.body.settings).to.deep.equal({
        ...c.settings,
        groupDisplayNamePrefix: '[SCIM] ',
        roleMap: { Admin: 'Admin', Reader: 'ReadOnly' },
      });
      expect((await h.store.connectors.get(c.id))!.settings.roleMap).to.deep.equal({
        Admin: 'Admin',
        Reader: 'ReadOnly',
      });
      const entry = await lastAudit(c.id, 'connector.settings');
      expect(entry).to.include({ actor: 'admin', outcome: 'success', status: 200, resourceId: c.id });
      expect(JSON.parse(entry.detail!)).to.deep.equal({
        changed: ['groupDisplayNamePrefix', 'roleMap'],
        by: 'admin-1',
      });
    });

    it("refuses invalid settings with 400, the validator's message and the setting as the field, changing nothing", async () => {
      const c = await freshConnector();
      const cases: Array<[unknown, string, string | RegExp]> = [
        [{ deleteMode: 'sometimes' }, 'deleteMode', 'deleteMode must be "delete" or "deactivate"'],
        [{ groupsEnabled: 'yes' }, 'groupsEnabled', 'groupsEnabled must be true or false'],
        [
          { roleMap: { Admin: 'Boss' } },
          'roleMap',
          'roleMap["Admin"] must be one of ReadOnly, User, Admin, EnterpriseAdmin',
        ],
        [{ roleMap: { ' ': 'Admin' } }, 'roleMap', 'roleMap: an app role value must not be empty'],
        [
          { requiredAttributes: ['shoeSize'] },
          'requiredAttributes',
          'requiredAttributes: "shoeSize" is not an attribute of the User schema or its extensions',
        ],
        [
          { allowedValues: { userType: [] } },
          'allowedValues',
          'allowedValues["userType"] must be a non-empty list of strings',
        ],
        [
          { extensions: ['nope'] },
          'extensions',
          /^extensions: unknown extension "nope"; extensions must be a list of enterprise, /,
        ],
        [{ colour: 'blue' }, 'settings', 'unknown setting "colour"'],
        [['groupsEnabled'], 'settings', 'settings must be a JSON object'],
      ];
      for (const [body, field, message] of cases) {
        const response = await admin.put(`/connectors/${c.id}/settings`, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body, JSON.stringify(body)).to.include({ error: 'invalid_settings', field });
        if (message instanceof RegExp) expect(response.body.message).to.match(message);
        else expect(response.body.message).to.equal(message);
      }
      expect((await h.store.connectors.get(c.id))!.settings).to.deep.equal(c.settings);
    });
  });

  describe('PUT /connectors/:id/oidc', () => {
    it('configures Entra from the tenant id, keeps the secret encrypted and answers only whether one is stored', async () => {
      const c = await freshConnector();
      const response = await admin.put(`/connectors/${c.id}/oidc`, {
        tenantId: TENANT_ID,
        clientId: 'app-123',
        clientSecret: NEW_SECRET,
      });
      expect(response.status).to.equal(200);
      expect(response.body.oidc).to.deep.equal({
        issuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
        clientId: 'app-123',
        tenantId: TENANT_ID,
        hasClientSecret: true,
      });
      expect(response.body.redirectUri).to.equal(h.callbackUrl);
      const encrypted = await h.store.connectors.encryptedClientSecret(c.id);
      expect(encrypted).to.be.a('string').and.not.include(NEW_SECRET);
      expect(h.runtime.secrets.decrypt(encrypted!)).to.equal(NEW_SECRET);
      const entry = await lastAudit(c.id, 'oidc.configure');
      expect(entry).to.include({ actor: 'admin', outcome: 'success' });
    });

    it('keeps the stored secret when none is sent', async () => {
      const c = await freshConnector();
      await admin.put(`/connectors/${c.id}/oidc`, { tenantId: TENANT_ID, clientId: 'app-1', clientSecret: NEW_SECRET });
      const encrypted = await h.store.connectors.encryptedClientSecret(c.id);
      const response = await admin.put(`/connectors/${c.id}/oidc`, { tenantId: TENANT_ID, clientId: 'app-2' });
      expect(response.status).to.equal(200);
      expect(response.body.oidc).to.include({ clientId: 'app-2', hasClientSecret: true });
      expect(await h.store.connectors.encryptedClientSecret(c.id)).to.equal(encrypted);
    });

    it('refuses invalid settings with 400 naming the field, changing nothing', async () => {
      const c = await freshConnector();
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ tenantId: TENANT_ID, clientId: 'app' }, 'clientSecret'],
        [{ tenantId: 'contoso', clientId: 'app', clientSecret: NEW_SECRET }, 'tenantId'],
        [{ issuer: 'ftp://login.example/', clientId: 'app', clientSecret: NEW_SECRET }, 'issuer'],
        [{ clientId: 'app', clientSecret: NEW_SECRET }, 'issuer'],
        [{ tenantId: TENANT_ID, clientSecret: NEW_SECRET }, 'clientId'],
        [{ tenantId: TENANT_ID, clientId: 'app', clientSecret: '' }, 'clientSecret'],
      ];
      for (const [body, field] of cases) {
        const response = await admin.put(`/connectors/${c.id}/oidc`, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body).to.include({ error: 'invalid_oidc_settings', field });
        expect(response.body.message).to.match(new RegExp(`^${field}\\b`));
      }
      expect((await h.store.connectors.get(c.id))!.oidc).to.deep.equal({
        issuer: null,
        clientId: null,
        tenantId: null,
        hasClientSecret: false,
      });
    });
  });

  describe('PUT /connectors/:id/default-group and GET /connectors/:id/groups', () => {
    const group = (connectorId: string, displayName: string) =>
      h.store.groups
        .create(connectorId, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName })
        .then((r) => r.group);

    it('lists groups by name with member counts, narrowed by filter (case-insensitive)', async () => {
      const c = await freshConnector();
      const [staff, admins] = [await group(c.id, 'Staff'), await group(c.id, 'Admins')];
      await group(c.id, 'Contractors');
      const member = await h.provision({ connectorId: c.id, userName: `member.${c.id.slice(0, 6)}@contoso.example` });
      await h.store.groups.update(c.id, admins.id, { membership: [{ op: 'add', members: [{ value: member.id }] }] });
      const all = await admin.get(`/connectors/${c.id}/groups`);
      expect(all.status).to.equal(200);
      expect(all.body.totalResults).to.equal(3);
      expect(all.body.groups.map((g: { displayName: string }) => g.displayName)).to.deep.equal([
        'Admins',
        'Contractors',
        'Staff',
      ]);
      expect(all.body.groups[0]).to.deep.equal({ id: admins.id, displayName: 'Admins', memberCount: 1 });
      const found = await admin.get(`/connectors/${c.id}/groups?filter=STAF`);
      expect(found.body.groups).to.deep.equal([{ id: staff.id, displayName: 'Staff', memberCount: 0 }]);
      expect((await admin.get(`/connectors/${c.id}/groups?count=0`)).status).to.equal(400);
    });

    it('sets and clears the default group, auditing both', async () => {
      const c = await freshConnector();
      const staff = await group(c.id, 'Staff');
      const set = await admin.put(`/connectors/${c.id}/default-group`, { groupId: staff.id });
      expect(set.status).to.equal(200);
      expect(set.body.defaultGroupId).to.equal(staff.id);
      expect((await h.store.connectors.get(c.id))!.defaultGroupId).to.equal(staff.id);
      expect(JSON.parse((await lastAudit(c.id, 'connector.default-group')).detail!)).to.deep.equal({
        from: null,
        to: staff.id,
        by: 'admin-1',
      });
      const cleared = await admin.put(`/connectors/${c.id}/default-group`, { groupId: null });
      expect(cleared.body.defaultGroupId).to.equal(null);
      expect(JSON.parse((await lastAudit(c.id, 'connector.default-group')).detail!)).to.deep.equal({
        from: staff.id,
        to: null,
        by: 'admin-1',
      });
    });

    it('refuses a group of another connector, an unknown group and a malformed groupId with 400', async () => {
      const c = await freshConnector();
      const elsewhere = await group((await freshConnector()).id, 'Elsewhere');
      for (const body of [{ groupId: elsewhere.id }, { groupId: randomUUID() }, { groupId: 42 }, { groupId: '' }, {}]) {
        const response = await admin.put(`/connectors/${c.id}/default-group`, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body.error).to.equal('invalid_request');
      }
      expect((await h.store.connectors.get(c.id))!.defaultGroupId).to.equal(null);
    });
  });

  describe('tokens: create, rotate with overlap, revoke', () => {
    it('creates a token, answers it once (201) and stores only its SHA-256 hash', async () => {
      const c = await freshConnector();
      const response = await admin.post(`/connectors/${c.id}/tokens`, { label: 'Entra production', expiresInDays: 30 });
      expect(response.status).to.equal(201);
      const { token, ...record } = response.body;
      expect(token).to.match(/^idc_[A-Za-z0-9_-]{43}$/);
      expect(record).to.include({
        label: 'Entra production',
        displayPrefix: token.slice(0, 8),
        live: true,
        revokedAt: null,
        lastUsedAt: null,
      });
      expect(new Date(record.expiresAt).getTime() - Date.now()).to.be.closeTo(30 * 86_400_000, 60_000);

      const row = await h.knex(h.store.tables.scimTokens).where({ id: record.id }).first();
      expect(row.token_hash).to.equal(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(row)).to.not.include(token);

      const listed = await admin.get(`/connectors/${c.id}/tokens`);
      expect(listed.status).to.equal(200);
      expect(listed.text).to.not.include(token);
      expect(listed.body.tokens).to.deep.equal([record]);
      expect(await h.store.tokens.verify(token)).to.include({ id: record.id, connectorId: c.id });
      const entry = await lastAudit(c.id, 'token.create');
      expect(entry).to.include({ actor: 'admin', outcome: 'success', status: 201, resourceId: record.id });
      expect(entry.detail).to.not.include(token);
      expect(h.logs.join('\n')).to.not.include(token);
    });

    it('allows a second live token for rotation, refuses a third with 409 until one is revoked', async () => {
      const c = await freshConnector();
      const first = await admin.post(`/connectors/${c.id}/tokens`, { label: 'old' });
      const second = await admin.post(`/connectors/${c.id}/tokens`, { label: 'new' });
      expect([first.status, second.status]).to.deep.equal([201, 201]);
      const third = await admin.post(`/connectors/${c.id}/tokens`, {});
      expect(third.status).to.equal(409);
      expect(third.body.error).to.equal('too_many_live_tokens');
      expect(third.body.message).to.match(/already has 2 live tokens: revoke one before creating another/);
      expect(third.body).to.not.have.property('token');
      expect(await h.store.tokens.list(c.id)).to.have.length(2);
      expect(await lastAudit(c.id, 'token.create')).to.include({ outcome: 'failure', status: 409 });

      // Both live tokens work during the overlap; revoking the old one makes room for the next.
      expect(await h.store.tokens.verify(first.body.token)).to.not.equal(undefined);
      expect(await h.store.tokens.verify(second.body.token)).to.not.equal(undefined);
      const revoked = await admin.delete(`/connectors/${c.id}/tokens/${first.body.id}`);
      expect(revoked.status).to.equal(200);
      expect(revoked.body).to.include({ id: first.body.id, live: false });
      expect(revoked.body.revokedAt).to.be.a('string');
      expect(revoked.body).to.not.have.property('token');
      expect(await h.store.tokens.verify(first.body.token)).to.equal(undefined);
      expect(await lastAudit(c.id, 'token.revoke')).to.include({
        actor: 'admin',
        outcome: 'success',
        resourceId: first.body.id,
      });
      expect((await admin.post(`/connectors/${c.id}/tokens`, {})).status).to.equal(201);

      const listed = (await admin.get(`/connectors/${c.id}/tokens`)).body.tokens as Array<{
        id: string;
        live: boolean;
      }>;
      expect(listed.map((t) => t.live)).to.deep.equal([true, true, false]); // newest first
      expect(listed[2].id).to.equal(first.body.id);
    });

    it('revokes idempotently, and answers 404 for an unknown token or one of another connector', async () => {
      const c = await freshConnector();
      const other = await freshConnector();
      const created = await admin.post(`/connectors/${c.id}/tokens`, {});
      expect((await admin.delete(`/connectors/${other.id}/tokens/${created.body.id}`)).status).to.equal(404);
      expect(await h.store.tokens.verify(created.body.token)).to.not.equal(undefined);
      expect((await admin.delete(`/connectors/${c.id}/tokens/${randomUUID()}`)).status).to.equal(404);
      const first = await admin.delete(`/connectors/${c.id}/tokens/${created.body.id}`);
      const again = await admin.delete(`/connectors/${c.id}/tokens/${created.body.id}`);
      expect([first.status, again.status]).to.deep.equal([200, 200]);
      expect(again.body.revokedAt).to.equal(first.body.revokedAt);
    });

    it('refuses a malformed label or expiry with 400', async () => {
      const c = await freshConnector();
      for (const body of [
        { label: 42 },
        { label: 'x'.repeat(192) },
        { expiresInDays: 0 },
        { expiresInDays: 1.5 },
        { expiresInDays: 'soon' },
        { expiresInDays: 3651 },
      ]) {
        const response = await admin.post(`/connectors/${c.id}/tokens`, body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body.error).to.equal('invalid_request');
      }
      expect(await h.store.tokens.list(c.id)).to.deep.equal([]);
    });
  });

  describe('GET /connectors/:id/audit (the provisioning log)', () => {
    it('pages the log newest first with limit and beforeId', async () => {
      const c = await freshConnector();
      for (const label of ['a', 'b', 'c']) {
        const created = await admin.post(`/connectors/${c.id}/tokens`, { label });
        if (label !== 'c') await admin.delete(`/connectors/${c.id}/tokens/${created.body.id}`);
      }
      const all = (await admin.get(`/connectors/${c.id}/audit`)).body;
      expect(all.events.map((e: { operation: string }) => e.operation)).to.deep.equal([
        'token.create',
        'token.revoke',
        'token.create',
        'token.revoke',
        'token.create',
      ]);
      expect(all.nextBeforeId).to.equal(null);
      expect(all.events[0]).to.include.keys(
        'id',
        'at',
        'requestId',
        'actor',
        'operation',
        'resourceType',
        'resourceId',
        'outcome',
        'status',
        'scimType',
        'detail',
      );
      const first = (await admin.get(`/connectors/${c.id}/audit?limit=2`)).body;
      expect(first.events.map((e: { id: number }) => e.id)).to.deep.equal(
        all.events.slice(0, 2).map((e: { id: number }) => e.id),
      );
      expect(first.nextBeforeId).to.equal(all.events[1].id);
      const next = (await admin.get(`/connectors/${c.id}/audit?limit=2&beforeId=${first.nextBeforeId}`)).body;
      expect(next.events.map((e: { id: number }) => e.id)).to.deep.equal(
        all.events.slice(2, 4).map((e: { id: number }) => e.id),
      );
    });

    it('refuses a bad limit or beforeId with 400', async () => {
      for (const query of ['limit=0', 'limit=abc', 'limit=1001', 'beforeId=-1', 'beforeId=1.5']) {
        const response = await admin.get(`/connectors/${h.connector.id}/audit?${query}`);
        expect(response.status, query).to.equal(400);
      }
    });
  });

  // Last: it looks at every response, log line and audit event the suite produced.
  describe('secrets', () => {
    it('never answers, logs or audits an OIDC client secret or the encrypted form of one', async () => {
      await admin.put(`/connectors/${h.connector.id}/oidc`, {
        issuer: h.provider.issuer,
        tenantId: h.connector.oidc.tenantId,
        clientId: h.connector.oidc.clientId,
        clientSecret: RP_CLIENT_SECRET,
      });
      await admin.get('/connectors');
      await admin.get(`/connectors/${h.connector.id}`);
      await admin.get(`/connectors/${h.connector.id}/audit?limit=1000`);
      const encrypted = await h.store.connectors.encryptedClientSecret(h.connector.id);
      const audit = JSON.stringify(await h.store.audit.list(null, { limit: 1000 }));
      for (const [where, text] of [
        ['responses', admin.responses.join('\n')],
        ['logs', h.logs.join('\n')],
        ['audit', audit],
      ] as const) {
        for (const secret of [RP_CLIENT_SECRET, NEW_SECRET, encrypted!])
          expect(text, `${where}`).to.not.include(secret);
      }
      expect(admin.responses.join('\n')).to.not.match(/clientSecret"\s*:/);
    });
  });
});
