import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { createIdentityConnector, type MetricsOptions } from '../../lib/index.js';
import { retryConflicts } from '../../lib/store/retry.js';
import { METRIC_PREFIX, NO_CONNECTOR } from '../../lib/web/metrics.js';
import { describeEachDatabase, testKnex, uniquePrefix } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { parseSamples, sampleValue, type Sample } from '../support/prometheus-text.js';
import {
  entraUser,
  LogCapture,
  SCIM,
  SECRET_KEY,
  startScimHarness,
  type ScimHarness,
} from '../support/scim-harness.js';

const REQUESTS = `${METRIC_PREFIX}scim_requests_total`;
const DURATION = `${METRIC_PREFIX}scim_request_duration_seconds`;
const REFUSALS = `${METRIC_PREFIX}provisioning_refusals_total`;
const SIGN_INS = `${METRIC_PREFIX}sign_ins_total`;
const CONFLICTS = `${METRIC_PREFIX}database_conflicts_total`;
const PAUSED = `${METRIC_PREFIX}deprovisioning_paused`;

const scrape = async (registry: Registry): Promise<Sample[]> => parseSamples(await registry.metrics());

describeEachDatabase('Metrics (options.metrics: the host passes its prom-client registry)', (db) => {
  const withMetrics = async (options: Parameters<typeof startScimHarness>[1] = {}) => {
    const registry = new Registry();
    // The type is prom-client's own Registry: it fits the option without casts.
    const metrics: MetricsOptions = { registry };
    return { registry, h: await startScimHarness(db, { ...options, metrics }) };
  };

  describe('SCIM requests', () => {
    let h: ScimHarness;
    let registry: Registry;
    before(async () => ({ h, registry } = await withMetrics()));
    after(async () => {
      await h?.close();
    });

    it('counts requests by connector, resource, method and status, and times them; what the client sends never becomes a label', async () => {
      expect((await h.scim.post('/Users', entraUser('ada.lovelace@contoso.com'))).status).to.equal(201);
      expect((await h.scim.post('/Users', entraUser('alan.turing@contoso.com'))).status).to.equal(201);
      expect((await h.scim.post('/Groups', { displayName: 'Engineers' })).status).to.equal(201);
      expect((await h.scim.get('/Users?filter=userName eq "ada.lovelace@contoso.com"')).status).to.equal(200);
      expect((await h.scim.get('/Users/no-such-id')).status).to.equal(404);
      expect((await h.scim.get('/ServiceProviderConfig')).status).to.equal(200);
      expect((await h.scim.get('/evil-label-value')).status).to.equal(404);
      expect((await h.http.get(`${SCIM}/Users`).set('Authorization', 'Bearer wrong')).status).to.equal(401);

      const samples = await scrape(registry);
      const id = h.connector.id;
      const count = (labels: Record<string, string>) => sampleValue(samples, REQUESTS, labels);
      expect(count({ connector: id, resource: 'Users', method: 'POST', status: '201' })).to.equal(2);
      expect(count({ connector: id, resource: 'Groups', method: 'POST', status: '201' })).to.equal(1);
      expect(count({ connector: id, resource: 'Users', method: 'GET', status: '200' })).to.equal(1);
      expect(count({ connector: id, resource: 'Users', method: 'GET', status: '404' })).to.equal(1);
      expect(count({ connector: id, resource: 'ServiceProviderConfig', method: 'GET', status: '200' })).to.equal(1);
      expect(count({ connector: id, resource: 'other', method: 'GET', status: '404' })).to.equal(1);
      // A failed authentication names no connector.
      expect(count({ connector: NO_CONNECTOR, resource: 'Users', method: 'GET', status: '401' })).to.equal(1);

      const timed = { connector: id, resource: 'Users', method: 'POST' };
      expect(sampleValue(samples, `${DURATION}_count`, timed)).to.equal(2);
      expect(sampleValue(samples, `${DURATION}_sum`, timed)).to.be.greaterThan(0);
      expect(sampleValue(samples, `${DURATION}_bucket`, { ...timed, le: '+Inf' })).to.equal(2);

      const ours = samples.filter((s) => s.name.startsWith(METRIC_PREFIX));
      for (const s of ours) {
        if (s.labels.connector !== undefined) expect([id, NO_CONNECTOR]).to.include(s.labels.connector);
        expect(Object.values(s.labels).join(' ')).not.to.match(/evil|wrong|lovelace|no-such-id/);
      }
    });

    it('counts policy refusals by reason (a protected user may not be deleted: 403 protected)', async () => {
      const owner = (await h.scim.post('/Users', entraUser('grace.hopper@contoso.com'))).body as { id: string };
      await h.identity.users.setAccess(h.connector, owner.id, { protected: true }, { actor: 'host' });
      expect((await h.scim.delete(`/Users/${owner.id}`)).status).to.equal(403);

      const samples = await scrape(registry);
      expect(sampleValue(samples, REFUSALS, { connector: h.connector.id, reason: 'protected' })).to.equal(1);
      expect(sampleValue(samples, REQUESTS, { resource: 'Users', method: 'DELETE', status: '403' })).to.equal(1);
    });

    it('counts login-method refusals as sign-ins by result', async () => {
      const user = (await h.identity.store.users.findByUserName(h.connector.id, 'ada.lovelace@contoso.com'))!;
      const other = user.loginMethod === 'sso' ? 'builtin' : 'sso';
      const check = await h.identity.checkLoginMethod({ connectorId: h.connector.id, userId: user.id }, other);
      expect(check.allowed).to.equal(false);
      const samples = await scrape(registry);
      expect(
        sampleValue(samples, SIGN_INS, { connector: h.connector.id, result: `${user.loginMethod}_login_method` }),
      ).to.equal(1);
    });

    it('counts database conflicts by result: one retried, none given up', async () => {
      const lostRace = Object.assign(new Error('could not serialize access'), { code: '40001' });
      let attempts = 0;
      await retryConflicts(h.identity.events, async () => {
        if (++attempts === 1) throw lostRace;
      });
      const samples = await scrape(registry);
      expect(sampleValue(samples, CONFLICTS, { result: 'retried' })).to.equal(1);
      expect(sampleValue(samples, CONFLICTS, { result: 'gave_up' })).to.equal(0);
    });
  });

  it('answers 429 past the per-token limit, counted under its status', async () => {
    const { h, registry } = await withMetrics({ rateLimitPerMinute: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await h.scim.get('/Users')).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const samples = await scrape(registry);
      expect(sampleValue(samples, REQUESTS, { connector: h.connector.id, status: '429' })).to.equal(1);
    } finally {
      await h.close();
    }
  });

  it('shows a connector whose deprovisioning the guard paused (gauge 1, refusals "paused", 503) until it is resumed', async () => {
    const { h, registry } = await withMetrics({
      settings: { deprovisionGuard: { percent: 1, windowMinutes: 60, minimumUsers: 2 } },
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1)
        ids.push(((await h.scim.post('/Users', entraUser(`user${i}.guarded@contoso.com`))).body as { id: string }).id);
      expect(sampleValue(await scrape(registry), PAUSED)).to.equal(0);
      const statuses = [];
      for (const id of ids) statuses.push((await h.scim.delete(`/Users/${id}`)).status);
      expect(statuses).to.deep.equal([204, 204, 503, 503, 503]);

      const samples = await scrape(registry);
      expect(sampleValue(samples, PAUSED, { connector: h.connector.id })).to.equal(1);
      expect(sampleValue(samples, REFUSALS, { connector: h.connector.id, reason: 'paused' })).to.equal(3);
      expect(sampleValue(samples, REQUESTS, { method: 'DELETE', status: '503' })).to.equal(3);

      await h.identity.store.connectors.resumeDeprovisioning(h.connector.id);
      expect(sampleValue(await scrape(registry), PAUSED)).to.equal(0);
    } finally {
      await h.close();
    }
  });

  it('a scrape while the database is away still answers, with what it last knew; the failure is logged', async () => {
    const knex = testKnex(db);
    const logs = new LogCapture();
    const registry = new Registry();
    const identity = await createIdentityConnector({
      knex,
      baseUrl: 'http://127.0.0.1',
      mountPath: '/identity',
      secretKey: SECRET_KEY,
      tablePrefix: uniquePrefix(),
      logger: logs.logger,
      metrics: { registry },
    });
    try {
      await identity.migrate();
      await knex.destroy();
      const text = await registry.metrics();
      expect(text).to.include(`# TYPE ${REQUESTS} counter`);
      expect(logs.text()).to.include('a metric could not be updated');
    } finally {
      await identity.close();
    }
  });

  it('refuses, at start-up, a metrics option that is not { registry }, and a registry that already holds these metrics', async () => {
    const knex = testKnex(db);
    const base = { knex, baseUrl: 'http://127.0.0.1', mountPath: '/identity', secretKey: SECRET_KEY };
    try {
      for (const metrics of [{}, { registry: {} }, { registry: new Registry(), prefix: 'x' }, null])
        await createIdentityConnector({ ...base, metrics: metrics as never }).then(
          () => expect.fail(`accepted ${JSON.stringify(metrics)}`),
          (error: Error) => expect(error.message).to.match(/options\.metrics must be \{ registry \}/),
        );
      const registry = new Registry();
      const first = await createIdentityConnector({ ...base, metrics: { registry } });
      await createIdentityConnector({ ...base, metrics: { registry } }).then(
        () => expect.fail('registered the metrics twice'),
        (error: Error) => expect(error.message).to.match(/already holds identity_connector_.*registry of its own/),
      );
      await first.close();
    } finally {
      await knex.destroy();
    }
  });

  describe('sign-ins through Entra', () => {
    let h: HostHarness;
    let registry: Registry;
    before(async () => {
      registry = new Registry();
      h = await startHostHarness(db, { metrics: { registry } });
    });
    after(async () => {
      await h?.close();
    });

    it('counts sign-ins by connector and result: success, or the refusal reason', async () => {
      const loginUrl = h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`);
      const known = await h.person();
      await h.signIn(new TestBrowser(), loginUrl, known.login);
      const stranger = await h.person({ provision: false });
      await h.signIn(new TestBrowser(), loginUrl, stranger.login);
      expect(h.loginEvents.succeeded).to.have.length(1);
      const samples = await scrape(registry);
      expect(sampleValue(samples, SIGN_INS, { connector: h.connector.id, result: 'success' })).to.equal(1);
      expect(sampleValue(samples, SIGN_INS, { connector: h.connector.id, result: 'no_such_user' })).to.equal(1);
    });
  });
});

describe('Metrics are off without the option', () => {
  it('never loads prom-client: a connector without options.metrics runs where prom-client cannot be resolved, and one with it says what to install', function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-no-prom-'));
    try {
      // A resolve hook that makes prom-client missing, as in a host that never installed it.
      fs.writeFileSync(
        path.join(dir, 'hooks.mjs'),
        `export async function resolve(specifier, context, next) {
  if (specifier === 'prom-client' || specifier.startsWith('prom-client/'))
    throw Object.assign(new Error('Cannot find package prom-client'), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}
`,
      );
      fs.writeFileSync(
        path.join(dir, 'register.mjs'),
        `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`,
      );
      const lib = (file: string) => JSON.stringify(pathToFileURL(path.resolve(file)).href);
      fs.writeFileSync(
        path.join(dir, 'host.mjs'),
        `import { createIdentityConnector } from ${lib('lib/index.ts')};
import { connectKnex } from ${lib('lib/store/connect.ts')};
const knex = connectKnex('sqlite::memory:');
const base = { knex, baseUrl: 'http://127.0.0.1', mountPath: '/identity', secretKey: ${JSON.stringify(SECRET_KEY)} };
const out = {};
const identity = await createIdentityConnector(base);
await identity.migrate();
out.without = typeof identity.router;
await identity.close();
const registry = { registerMetric() {}, getSingleMetric() { return undefined; } };
out.with = await createIdentityConnector({ ...base, metrics: { registry } }).then(() => 'created', (e) => e.message);
await knex.destroy();
console.log(JSON.stringify(out));
`,
      );
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--import', path.join(dir, 'register.mjs'), path.join(dir, 'host.mjs')],
        { env, encoding: 'utf8', timeout: 50_000 },
      );
      expect(child.status, child.stderr).to.equal(0);
      const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as { without: string; with: string };
      expect(out.without).to.equal('function');
      expect(out.with).to.match(
        /options\.metrics needs prom-client, an optional peer dependency: npm install prom-client/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
