import { expect } from 'chai';
import request from 'supertest';
import { runCli } from '../../lib/cli/commands.js';
import type { EntraPushReport, EntraPushResult } from '../../lib/admin/entra-push.js';
import type { Connector } from '../../lib/model/types.js';
import { DEFAULT_SETTINGS, mergeSettings } from '../../lib/model/settings.js';
import { retryAfterMs } from '../../lib/admin/graph-client.js';
import { describeEachDatabase, tempSqliteUrl } from '../support/databases.js';
import { startFakeGraph, type FakeGraph } from '../support/fixtures/fake-graph.js';
import {
  RP_CLIENT_ID,
  RP_CLIENT_SECRET,
  SECRET_KEY,
  startHostHarness,
  TENANT,
  type HostHarness,
} from '../support/host-harness.js';
import { adminClient, API, type AdminClient } from './admin-client.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PUSH_CLIENT = 'push-app';
const PUSH_SECRET = 'push-app-secret-7c1e9a3b5d';
const UNGRANTED = 'sso-only-app';

const byName = (report: EntraPushReport) =>
  Object.fromEntries(report.results.map((r) => [r.userName, r])) as Record<string, EntraPushResult>;

describe('The entraPush setting', () => {
  it("defaults to Entra's global cloud and merges fields over the current ones", () => {
    expect(DEFAULT_SETTINGS.entraPush).to.deep.equal({
      graphBaseUrl: 'https://graph.microsoft.com/v1.0',
      tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
      concurrency: 4,
      maxRetries: 3,
    });
    const merged = mergeSettings(DEFAULT_SETTINGS, {
      entraPush: { graphBaseUrl: 'https://graph.microsoft.us/v1.0/', concurrency: 8 },
    }).entraPush;
    expect(merged).to.deep.equal({
      ...DEFAULT_SETTINGS.entraPush,
      graphBaseUrl: 'https://graph.microsoft.us/v1.0',
      concurrency: 8,
    });
  });

  for (const [value, message] of [
    [true, 'entraPush must be {"graphBaseUrl", "tokenUrl", "concurrency", "maxRetries"}'],
    [
      { graphBaseUrl: 'ftp://graph' },
      'entraPush.graphBaseUrl must be an http(s) URL without query, e.g. https://graph.microsoft.com/v1.0',
    ],
    [
      { tokenUrl: 'not a url' },
      'entraPush.tokenUrl must be an http(s) URL without query, e.g. https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    ],
    [{ concurrency: 0 }, 'entraPush.concurrency must be a whole number from 1 to 16'],
    [{ maxRetries: 11 }, 'entraPush.maxRetries must be a whole number from 0 to 10'],
    [{ batch: 1 }, 'entraPush: unknown field "batch"; fields are graphBaseUrl, tokenUrl, concurrency, maxRetries'],
  ] as const) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      expect(() => mergeSettings(DEFAULT_SETTINGS, { entraPush: value })).to.throw(message);
    });
  }

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('7')).to.equal(7000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1))).to.equal(30_000);
    expect(retryAfterMs(null)).to.equal(undefined);
    expect(retryAfterMs('soon')).to.equal(undefined);
  });
});

describeEachDatabase('Push to Entra through Microsoft Graph (a local fake Graph)', (db) => {
  let h: HostHarness;
  let graph: FakeGraph;
  let admin: AdminClient;
  let connector: Connector;
  const host = { actor: 'host' };

  before(async function () {
    this.timeout(30_000);
    // The CLI opens the database itself: on SQLite that needs a file, not the in-memory database.
    h = await startHostHarness(db.name === 'sqlite' ? { name: 'sqlite', url: tempSqliteUrl('entra-push') } : db);
    graph = await startFakeGraph({
      tenant: TENANT,
      // The connector's SSO application was granted User.ReadWrite.All; another one was not.
      clients: {
        [RP_CLIENT_ID]: { secret: RP_CLIENT_SECRET, mayCreateUsers: true },
        [PUSH_CLIENT]: { secret: PUSH_SECRET, mayCreateUsers: true },
        [UNGRANTED]: { secret: PUSH_SECRET },
      },
      existing: ['taken@contoso.com'],
      throttleOnce: ['throttled@contoso.com'],
      retryAfterSeconds: 1,
      createDelayMs: 40,
    });
    connector = await h.store.connectors.updateSettings(h.connector.id, {
      entraPush: { graphBaseUrl: graph.graphBaseUrl, tokenUrl: graph.tokenUrl, concurrency: 3 },
    });
    const users = h.runtime.users;
    await users.create(
      connector,
      {
        userName: 'rosa@contoso.com',
        displayName: 'Rosa Parks',
        title: 'Planner',
        active: true,
        name: { givenName: 'Rosa', familyName: 'Parks' },
        emails: [{ type: 'work', value: 'rosa.parks@contoso.com', primary: true }],
        phoneNumbers: [
          { type: 'mobile', value: '+1 555 0101' },
          { type: 'work', value: '+1 555 0100' },
        ],
        addresses: [{ type: 'work', locality: 'Montgomery', country: 'US', postalCode: '36104' }],
        [ENTERPRISE]: { department: 'Operations' },
      },
      host,
      { loginMethod: 'builtin' },
    );
    await users.create(connector, { userName: 'left@contoso.com', active: false }, host, { loginMethod: 'builtin' });
    await users.create(connector, { userName: 'taken@contoso.com', active: true }, host, { loginMethod: 'builtin' });
    await users.create(connector, { userName: 'throttled@contoso.com', active: true }, host, {
      loginMethod: 'builtin',
    });
    await users.create(
      connector,
      { userName: 'from.entra@contoso.com', externalId: 'b3c1e0f2-0000-4000-8000-000000000001', active: true },
      host,
    );
    const owner = await users.create(connector, { userName: 'owner@contoso.com', active: true }, host, {
      loginMethod: 'builtin',
    });
    await users.setAccess(connector, owner.id, { protected: true }, host);
    for (let i = 1; i <= 8; i += 1)
      await users.create(connector, { userName: `staff${i}@contoso.com`, active: true }, host, {
        loginMethod: 'builtin',
      });
    admin = await adminClient(h, 'admin-1', connector.organizationId);
  });
  after(async () => {
    await graph?.close();
    await h?.close();
  });

  describe('from the admin API', () => {
    let report: EntraPushReport;
    let started: number;
    before(async function () {
      this.timeout(30_000);
      started = Date.now();
      const response = await admin.post(`/connectors/${connector.id}/entra-push`, {});
      expect(response.status, response.text).to.equal(200);
      report = response.body;
    });

    it('creates each user Entra does not have, with the body Graph documents, and links it by externalId', async () => {
      expect(report).to.include({ connectorId: connector.id, created: 11, skipped: 2, failed: 1 });
      const rosa = byName(report)['rosa@contoso.com'] as Extract<EntraPushResult, { outcome: 'created' }>;
      expect(rosa.outcome).to.equal('created');
      const sent = graph.requests.find((r) => r.upn === 'rosa@contoso.com' && r.status === 201)!.body;
      expect(sent).to.deep.equal({
        accountEnabled: true,
        displayName: 'Rosa Parks',
        mailNickname: 'rosa',
        userPrincipalName: 'rosa@contoso.com',
        passwordProfile: { forceChangePasswordNextSignIn: true, password: rosa.initialPassword },
        givenName: 'Rosa',
        surname: 'Parks',
        jobTitle: 'Planner',
        department: 'Operations',
        mail: 'rosa.parks@contoso.com',
        country: 'US',
        city: 'Montgomery',
        postalCode: '36104',
        mobilePhone: '+1 555 0101',
        businessPhones: ['+1 555 0100'],
      });
      expect(graph.users.has(rosa.entraId)).to.equal(true);
      const stored = await h.store.users.get(connector.id, rosa.userId);
      expect(stored!.externalId).to.equal(rosa.entraId);
      // Only the link changed: the platform's columns stay.
      expect(stored!.loginMethod).to.equal('builtin');
      expect(graph.requests.find((r) => r.upn === 'left@contoso.com')!.body.accountEnabled).to.equal(false);
    });

    it("authenticates as the connector's OpenID Connect application (client credentials, Graph's .default scope)", () => {
      expect(graph.tokenRequests).to.have.length(1);
      expect(graph.tokenRequests[0]).to.include({
        grant_type: 'client_credentials',
        client_id: RP_CLIENT_ID,
        client_secret: RP_CLIENT_SECRET,
        scope: `${graph.origin}/.default`,
      });
    });

    it('skips users already linked to an Entra object and protected users, without calling Graph for them', () => {
      const results = byName(report);
      expect(results['from.entra@contoso.com']).to.deep.include({
        outcome: 'skipped',
        reason: 'already-linked',
        externalId: 'b3c1e0f2-0000-4000-8000-000000000001',
      });
      expect(results['owner@contoso.com']).to.deep.include({ outcome: 'skipped', reason: 'protected' });
      expect(graph.requests.map((r) => r.upn)).to.not.include.members(['from.entra@contoso.com', 'owner@contoso.com']);
    });

    it("reports an existing userPrincipalName per user with Graph's code and message; the others go on", async () => {
      expect(byName(report)['taken@contoso.com']).to.deep.include({
        outcome: 'failed',
        status: 400,
        code: 'Request_BadRequest',
        detailCode: 'ObjectConflict',
        target: 'userPrincipalName',
        message: 'Another object with the same value for property userPrincipalName already exists.',
      });
      const taken = report.results.find((r) => r.userName === 'taken@contoso.com')!;
      expect((await h.store.users.get(connector.id, taken.userId))!.externalId).to.equal(null);
    });

    it('waits Retry-After after a 429, then retries the same user', () => {
      const tries = graph.requests.filter((r) => r.upn === 'throttled@contoso.com');
      expect(tries.map((r) => r.status)).to.deep.equal([429, 201]);
      expect(tries[1].at - tries[0].at).to.be.at.least(1000);
      expect(byName(report)['throttled@contoso.com'].outcome).to.equal('created');
    });

    it('creates at most entraPush.concurrency users at once', () => {
      expect(graph.maxInFlight).to.be.within(2, 3);
      // 12 creates of 40 ms, three at a time, plus one 1 s Retry-After: well under serial time for many users.
      expect(Date.now() - started).to.be.below(10_000);
    });

    it('writes each link to the provisioning log through the user-write path', async () => {
      const entries = await h.store.audit.list(connector.id, { operation: 'user.entra-push', limit: 50 });
      expect(entries).to.have.length(11);
      expect(entries.every((e) => e.actor === 'admin' && e.outcome === 'success')).to.equal(true);
      const rosa = byName(report)['rosa@contoso.com'] as Extract<EntraPushResult, { outcome: 'created' }>;
      const entry = entries.find((e) => e.resourceId === rosa.userId)!;
      expect(JSON.parse(entry.detail!).externalId).to.deep.equal({ from: null, to: rosa.entraId });
      // The one-time password is answered once and kept nowhere.
      expect(JSON.stringify(entries)).to.not.include(rosa.initialPassword);
      expect(h.logs.join('\n')).to.not.include(rosa.initialPassword);
    });

    it('is idempotent: a second push skips everyone it created and only retries the refused user', async () => {
      const before = graph.requests.length;
      const again = (await admin.post(`/connectors/${connector.id}/entra-push`, {})).body as EntraPushReport;
      expect(again).to.include({ created: 0, skipped: 13, failed: 1 });
      expect(graph.requests.slice(before).map((r) => r.upn)).to.deep.equal(['taken@contoso.com']);
      expect(graph.users.size).to.equal(11);
    });
  });

  describe('credentials and refusals', () => {
    let fresh: Connector;
    before(async () => {
      fresh = await h.store.connectors.create({
        organizationId: connector.organizationId,
        name: `Push ${Date.now()}`,
        settings: { entraPush: { graphBaseUrl: graph.graphBaseUrl, tokenUrl: graph.tokenUrl } },
      });
      await h.runtime.users.create(fresh, { userName: 'explicit@contoso.com', active: true }, host, {
        loginMethod: 'builtin',
      });
    });

    it('without OpenID Connect or credentials answers 400 not_configured', async () => {
      const response = await admin.post(`/connectors/${fresh.id}/entra-push`, {});
      expect(response.status).to.equal(400);
      expect(response.body.error).to.equal('not_configured');
    });

    it("a wrong secret answers the token endpoint's refusal; Graph is not called", async () => {
      const before = graph.requests.length;
      const response = await admin.post(`/connectors/${fresh.id}/entra-push`, {
        tenantId: TENANT,
        clientId: PUSH_CLIENT,
        clientSecret: 'wrong',
      });
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal({
        error: 'token_refused',
        message:
          'the token endpoint refused the application: invalid_client (AADSTS7000215: Invalid client secret provided.)',
      });
      expect(graph.requests.length).to.equal(before);
      // The secret sent is never echoed.
      expect(admin.responses.join('\n')).to.not.include(PUSH_SECRET);
    });

    it("an application without User.ReadWrite.All stops the push at the first 403, with Graph's code", async () => {
      const response = await admin.post(`/connectors/${fresh.id}/entra-push`, {
        tenantId: TENANT,
        clientId: UNGRANTED,
        clientSecret: PUSH_SECRET,
      });
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ created: 0, failed: 0 });
      expect(response.body.aborted).to.deep.include({ code: 'Authorization_RequestDenied', notTried: 1 });
      expect(response.body.aborted.message).to.match(/User\.ReadWrite\.All/);
    });

    it('explicit credentials create the user; a clientId without its secret is refused', async () => {
      expect((await admin.post(`/connectors/${fresh.id}/entra-push`, { clientId: PUSH_CLIENT })).body).to.include({
        error: 'invalid_request',
        field: 'clientSecret',
      });
      const report = (
        await admin.post(`/connectors/${fresh.id}/entra-push`, {
          tenantId: TENANT,
          clientId: PUSH_CLIENT,
          clientSecret: PUSH_SECRET,
        })
      ).body as EntraPushReport;
      expect(report).to.include({ created: 1, failed: 0 });
      expect(graph.tokenRequests.at(-1)).to.include({ client_id: PUSH_CLIENT });
    });

    it("another organization's admin gets 404, and the route needs the CSRF token", async () => {
      const other = await adminClient(h, 'other-admin', 'org-elsewhere');
      expect((await other.post(`/connectors/${connector.id}/entra-push`, {})).status).to.equal(404);
      const response = await request(h.appOrigin)
        .post(`${API}/connectors/${connector.id}/entra-push`)
        .set('x-test-admin', 'yes')
        .send({});
      expect(response.status).to.equal(403);
      expect(response.body.error).to.equal('csrf');
    });

    it('the admin page offers the push with a result table', async () => {
      const page = await request(h.appOrigin)
        .get(`/identity/admin/connectors/${connector.id}`)
        .set('x-test-admin', 'yes')
        .set('Accept', 'text/html')
        .expect(200);
      expect(page.text).to.match(
        /<button type="button"[^>]*data-action="entra-push"[^>]*>Push users to Entra<\/button>/,
      );
      expect(page.text).to.include('id="entra-push-result"');
    });
  });

  describe('from the CLI (users push-entra)', () => {
    const saved = { ...process.env };
    let cliConnector: Connector;
    before(async () => {
      cliConnector = await h.store.connectors.create({
        organizationId: connector.organizationId,
        name: `CLI ${Date.now()}`,
        settings: { entraPush: { graphBaseUrl: graph.graphBaseUrl, tokenUrl: graph.tokenUrl } },
      });
      await h.runtime.users.create(cliConnector, { userName: 'cli.one@contoso.com', active: true }, host, {
        loginMethod: 'builtin',
      });
      await h.runtime.users.create(cliConnector, { userName: 'taken@contoso.com', active: true }, host, {
        loginMethod: 'builtin',
      });
      Object.assign(process.env, {
        DATABASE_URL: h.db.url,
        IDENTITY_TABLE_PREFIX: h.store.tablePrefix,
        IDENTITY_SECRET_KEY: SECRET_KEY,
        IDENTITY_ALLOW_INSECURE_ISSUER: 'true',
        IDENTITY_OIDC_CLIENT_SECRET: PUSH_SECRET,
      });
    });
    after(() => {
      process.env = saved;
    });

    async function run(...argv: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    it('pushes with explicit credentials, prints the JSON report, and exits 1 when a user failed', async () => {
      const result = await run(
        'users',
        'push-entra',
        '--connector',
        cliConnector.id,
        '--tenant-id',
        TENANT,
        '--client-id',
        PUSH_CLIENT,
        '--json',
      );
      expect(result.code, result.err).to.equal(1);
      const report = JSON.parse(result.out) as EntraPushReport;
      expect(report).to.include({ created: 1, skipped: 0, failed: 1 });
      expect(byName(report)['taken@contoso.com']).to.deep.include({
        outcome: 'failed',
        code: 'Request_BadRequest',
        detailCode: 'ObjectConflict',
      });
      expect(result.err).to.match(/1 created, 0 skipped, 1 failed/);
      const entries = await h.store.audit.list(cliConnector.id, { operation: 'user.entra-push', limit: 5 });
      expect(entries.map((e) => e.actor)).to.deep.equal(['cli']);
    });

    it('prints one line per user without --json; a second run skips the linked user', async () => {
      const result = await run(
        'users',
        'push-entra',
        '--connector',
        cliConnector.id,
        '--tenant-id',
        TENANT,
        '--client-id',
        PUSH_CLIENT,
      );
      expect(result.out.split('\n')).to.deep.equal([
        'skipped  cli.one@contoso.com  already linked to Entra object ' +
          (await h.store.users.findByUserName(cliConnector.id, 'cli.one@contoso.com'))!.externalId,
        'failed   taken@contoso.com  400 Request_BadRequest/ObjectConflict: Another object with the same value for property userPrincipalName already exists.',
      ]);
      expect((await run('users', 'push-entra')).code).to.equal(2);
    });
  });
});
