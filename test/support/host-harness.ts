/**
 * The host app the SSO and admin suites share: a real Express 5 app on a real port with
 * sessions, the SSO, admin and SCIM routers over one Runtime (createRuntime on the test
 * database), and an oidc-provider playing Entra ID (fixtures/), with one connector configured
 * against it through configureOidc.
 */
import express from 'express';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ClientMetadata } from 'oidc-provider';
import winston from 'winston';
import { createAdminRouter } from '../../lib/admin/router.js';
import { createScimRouter } from '../../lib/scim/router.js';
import { IdentityEvents, type LoginEvent } from '../../lib/model/events.js';
import { resolveOptions, type IdentityConnectorOptions } from '../../lib/runtime/options.js';
import { createRuntime, type Runtime } from '../../lib/web/runtime.js';
import { createMetrics } from '../../lib/web/metrics.js';
import { configureOidc } from '../../lib/sso/configure.js';
import { requireLoginMethod } from '../../lib/sso/login-method.js';
import { createSsoRouter } from '../../lib/sso/routes.js';
import { IdentityStore } from '../../lib/store/index.js';
import type { Connector, LoginMethod, StoredUser, WebRole } from '../../lib/model/types.js';
import { escapeHtml } from '../../views/html.js';
import { testKnex, uniquePrefix, type TestDatabase } from './databases.js';
import { TestBrowser, type Page } from './fixtures/browser.js';
import {
  relyingPartyClient,
  startTestProvider,
  type AccountClaims,
  type TestProvider,
} from './fixtures/oidc-provider.js';
import { session, TestSessions } from './fixtures/sessions.js';

export const MOUNT = '/identity';
export const TENANT = '3f1c2a9e-7b4d-4c8e-9a01-5d6e7f8a9b0c';
export const OTHER_TENANT = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
export const RP_CLIENT_ID = 'rp-client';
export const RP_CLIENT_SECRET = 'rp-secret-5b0e2f7c9d1a4e6b8c3f';
export const OTHER_CLIENT_ID = 'other-client';
export const OTHER_CLIENT_SECRET = 'other-secret-8e1d3c5a7b9f';
export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

export interface Person {
  login: string;
  claims: AccountClaims;
  user?: StoredUser;
}

export interface HostHarness {
  db: TestDatabase;
  knex: Knex;
  runtime: Runtime;
  store: IdentityStore;
  sessions: TestSessions;
  provider: TestProvider;
  /** The clients registered at the provider (the RP's and another application's). */
  clients: ClientMetadata[];
  /** Accounts the provider knows, by login (email). */
  accounts: Map<string, AccountClaims>;
  connector: Connector;
  appOrigin: string;
  callbackUrl: string;
  /** Everything the connector logged, as JSON lines. */
  logs: string[];
  loginEvents: { succeeded: LoginEvent[]; failed: LoginEvent[] };
  url(path: string): string;
  /** An Entra account (and, unless `provision: false`, the user SCIM would have created for it). */
  person(options?: {
    login?: string;
    claims?: AccountClaims;
    provision?: false | Partial<ProvisionOptions>;
  }): Promise<Person>;
  provision(options: ProvisionOptions): Promise<StoredUser>;
  /** Drives a whole sign-in: start URL → provider login form → callback → host. */
  signIn(
    browser: TestBrowser,
    start: string | { url: string; form: Record<string, string> },
    login: string,
    options?: { stopAtCallback?: boolean },
  ): Promise<Page>;
  close(): Promise<void>;
}

export interface ProvisionOptions {
  userName: string;
  externalId?: string | null;
  loginMethod?: LoginMethod;
  webRole?: WebRole | null;
  active?: boolean;
  displayName?: string;
  connectorId?: string;
}

export interface HarnessSetup {
  /** The host's Express: express 5 by default; the tests also mount the routers in Express 4. */
  expressModule?: typeof express;
}

export async function startHostHarness(
  db: TestDatabase,
  overrides: Partial<IdentityConnectorOptions> = {},
  setup: HarnessSetup = {},
): Promise<HostHarness> {
  const hostExpress = setup.expressModule ?? express;
  // The app's port is part of the redirect URI, so listen first and plug the app in afterwards.
  let app: express.Express | undefined;
  const appServer = http.createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  const appOrigin = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
  const callbackUrl = `${appOrigin}${MOUNT}/sso/callback`;

  const logs: string[] = [];
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk, _enc, done) {
            logs.push(String(chunk));
            done();
          },
        }),
      }),
    ],
  });

  const knex = testKnex(db);
  const events = new IdentityEvents();
  const sessions = new TestSessions();
  const options = resolveOptions(
    {
      knex,
      baseUrl: appOrigin,
      mountPath: MOUNT,
      secretKey: SECRET_KEY,
      tablePrefix: uniquePrefix(),
      logger,
      allowInsecureIssuer: true,
      passwordLoginPath: '/login',
      // x-test-org: an organization's admin (that organization only; with x-test-manages: users, its
      // users, login methods and log only, as web role Admin); x-test-admin: platform staff.
      authorizeAdmin: (req) =>
        req.get('x-test-org')
          ? {
              organizations: [String(req.get('x-test-org'))],
              ...(req.get('x-test-manages') === 'users' ? { manages: 'users' as const } : {}),
            }
          : req.get('x-test-admin') === 'yes',
      // The signed-in host user, or (for the admin API tests) whoever the x-test-user header names.
      currentUser: (req) =>
        session(req).user ??
        (req.get('x-test-user') ? { connectorId: 'host', userId: String(req.get('x-test-user')) } : undefined),
      signIn: (req, _res, user) => {
        session(req).user = { connectorId: user.connectorId, userId: user.id, userName: user.userName };
      },
      signOut: (req) => {
        session(req).user = undefined;
      },
      ...overrides,
    },
    () => logger,
  );
  const store = new IdentityStore(knex, options.tablePrefix, events, undefined, undefined, options.sqliteGroupCommit);
  await store.migrate();
  const runtime = createRuntime(store, options);
  const metrics = options.metrics ? await createMetrics(options.metrics, { events, store, logger }) : undefined;
  const loginEvents = { succeeded: [] as LoginEvent[], failed: [] as LoginEvent[] };
  events.on('login.succeeded', (e) => loginEvents.succeeded.push(e));
  events.on('login.failed', (e) => loginEvents.failed.push(e));

  const accounts = new Map<string, AccountClaims>();
  const client = (clientId: string, clientSecret: string) =>
    relyingPartyClient(clientId, clientSecret, callbackUrl, { post_logout_redirect_uris: [`${appOrigin}/`] });
  const clients = [client(RP_CLIENT_ID, RP_CLIENT_SECRET), client(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)];
  const provider = await startTestProvider({ clients, accounts });

  const created = await store.connectors.create({
    organizationId: 'org-contoso',
    name: `Entra ${randomUUID().slice(0, 8)}`,
  });
  const { connector } = await configureOidc(runtime, created.id, {
    issuer: provider.issuer,
    tenantId: TENANT,
    clientId: RP_CLIENT_ID,
    clientSecret: RP_CLIENT_SECRET,
  });

  app = hostExpress();
  app.use(sessions.middleware());
  app.use(`${MOUNT}/sso`, createSsoRouter(runtime));
  app.use(`${MOUNT}/admin`, createAdminRouter(runtime));
  // For tests whose admin pages show what Entra's SCIM requests did.
  app.use(`${MOUNT}/scim/v2`, createScimRouter(runtime, metrics));
  // The host's own pages.
  app.get('/', (req, res) => {
    const user = session(req).user;
    res
      .type('html')
      .send(
        user
          ? `<p>Signed in as <strong id="signed-in-user">${escapeHtml(user.userName)}</strong></p>`
          : '<p id="anonymous">Not signed in</p>',
      );
  });
  app.get('/reports', (req, res) => {
    res.type('html').send(`<p id="reports">Reports for ${escapeHtml(session(req).user?.userName ?? 'nobody')}</p>`);
  });
  app.get('/login', (req, res) => {
    res
      .type('html')
      .send(
        `<p id="password-page">Password sign-in for ${escapeHtml(typeof req.query.email === 'string' ? req.query.email : '')}</p>`,
      );
  });
  app.post(
    '/login',
    hostExpress.urlencoded({ extended: false }),
    requireLoginMethod(runtime)('builtin'),
    (_req, res) => {
      res.status(200).json({
        reached: 'host password login',
        allowed: (res.locals.identityAllowedUsers ?? []).map((u: StoredUser) => u.id),
      });
    },
  );
  app.post('/login-unparsed', requireLoginMethod(runtime)('builtin'), (_req, res) => {
    res.json({ reached: 'host password login' });
  });

  const provision = (o: ProvisionOptions) =>
    store.users.create(o.connectorId ?? connector.id, {
      document: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: o.userName,
        ...(o.externalId ? { externalId: o.externalId } : {}),
        active: o.active ?? true,
        displayName: o.displayName ?? o.userName.split('@')[0],
        emails: [{ type: 'work', value: o.userName, primary: true }],
        // Consistent with the web role, so a later write through the user-write path keeps it.
        ...(o.webRole === null ? {} : { roles: [{ value: o.webRole ?? 'User', primary: true }] }),
      },
      loginMethod: o.loginMethod ?? 'sso',
      webRole: o.webRole === undefined ? 'User' : o.webRole,
    });

  let counter = 0;
  const harness: HostHarness = {
    db,
    knex,
    runtime,
    store,
    sessions,
    provider,
    clients,
    accounts,
    connector,
    appOrigin,
    callbackUrl,
    logs,
    loginEvents,
    url: (path) => `${appOrigin}${path}`,
    async person(o = {}) {
      counter += 1;
      const login = o.login ?? `person${counter}.${randomUUID().slice(0, 6)}@contoso.example`;
      const claims: AccountClaims = {
        oid: randomUUID(),
        tid: TENANT,
        preferred_username: login,
        email: login,
        name: `Person ${counter}`,
        ...o.claims,
      };
      accounts.set(login, claims);
      if (o.provision === false) return { login, claims };
      const user = await provision({ userName: login, externalId: String(claims.oid), ...o.provision });
      return { login, claims, user };
    },
    provision,
    async signIn(browser, start, login, o = {}) {
      const stopAt = o.stopAtCallback ? (u: string) => u.startsWith(callbackUrl) : undefined;
      const first = typeof start === 'string' ? { url: start } : { url: start.url, form: start.form };
      let page = await browser.follow(first.url, { form: first.form, stopAt });
      if (page.status === 200 && page.url.startsWith(`${provider.origin}/interaction/`)) {
        page = await browser.follow(page.url, { form: { prompt: 'login', login, password: 'any password' }, stopAt });
      }
      return page;
    },
    async close() {
      await provider.close();
      await new Promise<void>((resolve) => {
        appServer.closeAllConnections();
        appServer.close(() => resolve());
      });
      await store.rollbackAll();
      // rollbackAll keeps Knex's bookkeeping tables; a test run leaves nothing behind.
      await knex.schema.dropTableIfExists(store.tables.migrations);
      await knex.schema.dropTableIfExists(store.tables.migrationsLock);
      await knex.destroy();
    },
  };
  return harness;
}

/** The `location` a stopped redirect points at, absolute. */
export function locationOf(page: Page): string {
  const location = page.headers.get('location');
  if (!location) throw new Error(`expected a redirect from ${page.url}, got ${page.status}`);
  return new URL(location, page.url).href;
}
