/**
 * A small monolith that mounts identity-connector at /identity: what `npm start` runs.
 * It has its own built-in password login for demo users, a page that needs a web access role,
 * and `GET /me`. Its environment variables are listed in the README.
 */
import express from 'express';
import session from 'express-session';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createIdentityConnector, isStoreError, stopGracefully, type IdentityConnector } from '../lib/index.js';
import { connectKnex, redactUrl } from '../lib/store/connect.js';
import { readEnvironment, type Environment } from '../lib/runtime/environment.js';
import { verifyPassword } from '../lib/policy/password.js';
import { escapeHtml } from '../views/html.js';
import { safeReturnTo } from '../lib/sso/return-to.js';
import type { Connector } from '../lib/model/types.js';

declare module 'express-session' {
  interface SessionData {
    user?: { connectorId: string; userId: string; userName: string };
  }
}

const DEMO_ORG = 'demo-org';
const DEMO_CONNECTOR = 'Entra ID';
const DEMO_ADMIN = 'admin@demo.local';

export interface DemoApp {
  app: express.Express;
  identity: IdentityConnector;
  connector: Connector;
  token: string | null;
  adminPassword: string | null;
  close(): Promise<void>;
}

export async function createDemoApp(env: NodeJS.ProcessEnv = process.env): Promise<DemoApp> {
  const environment = readEnvironment(env);
  const knex = connectKnex(environment.databaseUrl);
  // The host's own registry: the connector adds its metrics to it, the host serves it (GET /metrics below).
  const registry = environment.demoMetrics ? new Registry() : undefined;
  const identity = await createIdentityConnector({
    knex,
    baseUrl: environment.baseUrl,
    mountPath: '/identity',
    secretKey: environment.secretKey({ create: true })!,
    tablePrefix: environment.tablePrefix,
    allowInsecureIssuer: environment.allowInsecureIssuer,
    sqliteGroupCommit: environment.sqliteGroupCommit,
    passwordLoginPath: '/login',
    ...(registry ? { metrics: { registry } } : {}),
    // The demo's own built-in admin is platform staff (every organization); a customer's user
    // with the Admin or EnterpriseAdmin web role administers their own organization only.
    authorizeAdmin: async (req) => {
      const who = req.session?.user;
      if (!who) return false;
      const user = await identity.store.users.get(who.connectorId, who.userId);
      if (!user?.active || !(user.webRole === 'Admin' || user.webRole === 'EnterpriseAdmin')) return false;
      if (user.userName === DEMO_ADMIN && user.loginMethod === 'builtin') return { organizations: 'all' };
      const own = await identity.store.connectors.get(user.connectorId);
      return own ? { organizations: [own.organizationId] } : false;
    },
    currentUser: (req) => req.session?.user,
    signIn: async (req, _res, user) => {
      req.session.user = { connectorId: user.connectorId, userId: user.id, userName: user.userName };
    },
    signOut: async (req) => {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    },
  });
  await identity.migrate();
  const { connector, token, adminPassword } = await firstRun(identity, environment);

  const app = express();
  app.disable('x-powered-by');
  const sessions = session({
    name: 'demo.sid',
    secret: identity.options.secretKey,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: environment.baseUrl.startsWith('https://') },
  });
  // Entra's SCIM calls carry a bearer token, never a session cookie: they skip the session store.
  app.use((req, res, next) => (req.path.startsWith('/identity/scim') ? next() : sessions(req, res, next)));
  app.use(express.urlencoded({ extended: false }));
  app.use('/identity', identity.router);
  // Prometheus scrapes this. A real host serves it where only its Prometheus reaches (another port, or behind auth).
  if (registry)
    app.get('/metrics', async (_req, res, next) => {
      try {
        res.type(registry.contentType).send(await registry.metrics());
      } catch (error) {
        next(error);
      }
    });

  app.get('/', (req, res) => {
    const who = req.session.user;
    res
      .type('html')
      .send(
        page(
          'Demo host',
          who
            ? `<p>Signed in as <strong data-testid="signed-in-user">${escapeHtml(who.userName)}</strong>.</p><p><a href="/reports">Reports</a> · <a href="/identity/admin">Admin</a> · <a href="/me">/me</a></p><form method="post" action="/logout"><button>Sign out</button></form>`
            : `<p>Not signed in.</p><p><a href="/identity/sso">Sign in with your work account</a> · <a href="/login">Password sign-in</a></p>`,
        ),
      );
  });

  app.get('/login', (req, res) => {
    res.type('html').send(
      page(
        'Password sign-in',
        `<form method="post" action="/login">
      <label>Email <input name="email" type="email" autocomplete="username" value="${escapeHtml(req.query.email ?? '')}" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <input type="hidden" name="returnTo" value="${escapeHtml(safeReturnTo(req.query.returnTo))}">
      <button type="submit">Sign in</button></form>`,
      ),
    );
  });

  app.post('/login', async (req, res, next) => {
    try {
      const body = req.body as Record<string, unknown>;
      // One string per field: a repeated form field or a JSON array is no email (issue 18).
      const field = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
      const email = field('email');
      const user = await identity.store.users.findByUserName(connector.id, email);
      // The login-method check on the account this login resolved: an Entra user never gets in here.
      if (
        user &&
        !(await identity.checkLoginMethod({ connectorId: user.connectorId, userId: user.id }, 'builtin')).allowed
      ) {
        res
          .status(403)
          .type('html')
          .send(
            page(
              'Sign in with Microsoft Entra ID',
              '<p role="alert">This account signs in with Microsoft Entra ID.</p><p><a href="/identity/sso/signin">Sign in with Microsoft</a></p>',
            ),
          );
        return;
      }
      const ok =
        user &&
        user.active &&
        (await verifyPassword(field('password'), await identity.store.users.passwordHash(connector.id, user.id)));
      if (!user || !ok) {
        res
          .status(401)
          .type('html')
          .send(
            page(
              'Password sign-in',
              '<p role="alert">Wrong email or password.</p><p><a href="/login">Try again</a></p>',
            ),
          );
        return;
      }
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.user = { connectorId: user.connectorId, userId: user.id, userName: user.userName };
        res.redirect(303, safeReturnTo(field('returnTo')));
      });
    } catch (error) {
      next(error);
    }
  });

  app.post('/logout', (req, res) => {
    req.session.destroy(() => res.redirect(303, '/'));
  });

  app.get('/me', async (req, res) => {
    const who = req.session.user;
    const user = who && (await identity.store.users.get(who.connectorId, who.userId));
    if (!user) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json({
      id: user.id,
      userName: user.userName,
      displayName: user.displayName,
      webRole: user.webRole,
      loginMethod: user.loginMethod,
      connectorId: user.connectorId,
    });
  });

  app.get('/reports', identity.requireWebRole('User'), (_req, res) => {
    res.type('html').send(page('Reports', '<p>Only users with the User web role or above see this.</p>'));
  });

  return {
    app,
    identity,
    connector,
    token,
    adminPassword,
    async close() {
      await identity.close();
      await knex.destroy();
    },
  };
}

/**
 * The demo organization, its connector, a SCIM token and a built-in admin, created once. Several
 * processes may start at once on an empty database: a create that loses the race (conflict) reads
 * what the winner created instead of exiting.
 */
async function firstRun(
  identity: IdentityConnector,
  environment: Environment,
): Promise<{ connector: Connector; token: string | null; adminPassword: string | null }> {
  const { store } = identity;
  const existing = () => store.connectors.findByName(DEMO_ORG, DEMO_CONNECTOR);
  const connector =
    (await existing()) ??
    (await unlessCreatedMeanwhile(
      store.connectors.create({ organizationId: DEMO_ORG, name: DEMO_CONNECTOR }),
      existing,
    ));
  let token: string | null = null;
  const bootstrap = environment.scimBootstrapToken;
  if (bootstrap) {
    // Accept a token the operator already gave Entra; nothing is printed.
    if (!(await store.tokens.verify(bootstrap)))
      await store.tokens.create(connector.id, { plainToken: bootstrap, label: 'bootstrap' });
  } else if ((await store.tokens.listLive(connector.id)).length === 0) {
    token = (await store.tokens.create(connector.id, { label: 'demo' })).token;
  }
  let adminPassword: string | null = null;
  if (!(await store.users.findByUserName(connector.id, DEMO_ADMIN))) {
    const password = environment.demoAdminPassword || randomBytes(9).toString('base64url');
    // Through the same write path as SCIM: the web role comes from `roles` via the role map.
    const created = await unlessCreatedMeanwhile(
      identity.users.create(
        connector,
        {
          userName: DEMO_ADMIN,
          displayName: 'Demo Admin',
          name: { givenName: 'Demo', familyName: 'Admin' },
          emails: [{ type: 'work', value: DEMO_ADMIN, primary: true }],
          active: true,
          roles: [{ value: 'EnterpriseAdmin', primary: true }],
        },
        { actor: 'host' },
        { loginMethod: 'builtin', password },
      ),
      async () => null,
    );
    // Shown only by the process whose create won: another one's password was never stored.
    if (created) adminPassword = password;
  }
  return { connector, token, adminPassword };
}

/** The created value, or (when another process created it first: a conflict) what `meanwhile` reads. */
async function unlessCreatedMeanwhile<T, U>(
  create: Promise<T>,
  meanwhile: () => Promise<U | undefined>,
): Promise<T | U> {
  try {
    return await create;
  } catch (error) {
    if (!isStoreError(error, 'conflict')) throw error;
    const found = await meanwhile();
    if (found === undefined) throw error;
    return found;
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

/** Where the demo leaves a new SCIM token, so that the README's curl can read it: `$(cat data/scim-token)`. */
const TOKEN_FILE = './data/scim-token';

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const environment = readEnvironment();
  const demo = await createDemoApp();
  const { port } = environment;
  const baseUrl = demo.identity.options.baseUrl;
  if (demo.token) {
    fs.mkdirSync(path.dirname(TOKEN_FILE), { recursive: true });
    fs.writeFileSync(TOKEN_FILE, demo.token + '\n', { mode: 0o600 });
  }
  const server = demo.app.listen(port, (error?: Error) => {
    if (error) {
      process.stderr.write(`cannot listen on port ${port}: ${error.message}\n`);
      process.exit(1);
    }
    const lines = [
      `Demo host on ${baseUrl} (store ${redactUrl(environment.databaseUrl)})`,
      `  SCIM Tenant URL:  ${demo.identity.scimUrl}`,
      demo.token
        ? `  Secret Token:     ${demo.token}   (also in ${TOKEN_FILE}; another: npm run cli -- token create --connector ${demo.connector.id})`
        : environment.scimBootstrapToken
          ? '  Secret Token:     the one in SCIM_BOOTSTRAP_TOKEN'
          : `  Secret Token:     already issued (in ${TOKEN_FILE} if this checkout issued it; npm run cli -- token list)`,
      `  Sign-in page:     ${baseUrl}/identity/sso`,
      `  Admin page:       ${baseUrl}/identity/admin`,
      demo.adminPassword
        ? `  Built-in admin:   ${DEMO_ADMIN} / ${demo.adminPassword}   (shown once)`
        : `  Built-in admin:   ${DEMO_ADMIN}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });
  stopGracefully(
    server,
    () => demo.close(),
    (line) => process.stdout.write(line + '\n'),
  );
}
