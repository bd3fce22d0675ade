/**
 * A passport host: how an Express monolith that already signs people in with passport mounts
 * identity-connector. Built-in users sign in with passport-local (after the connector's
 * login-method check, so an SSO user never gets a password session), Entra users through the
 * connector's SSO, and both end up as the same passport session (`identity.passport(passport)`).
 * SCIM is answered before sessions and passport: Entra's calls carry a bearer token, no cookie.
 * Tested in test/examples/passport-host.test.ts.
 */
import express from 'express';
import session from 'express-session';
import type { Knex } from 'knex';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { createIdentityConnector, type IdentityConnector, type IdentityConnectorOptions } from '../lib/index.js';
import { verifyPassword } from '../lib/policy/password.js';

export interface PassportHostOptions {
  knex: Knex;
  baseUrl: string;
  /** Encrypts OIDC client secrets and signs the connector's cookies. */
  secretKey: string;
  /** express-session's own secret: never the connector's secretKey. */
  sessionSecret: string;
  /** The connector whose built-in users sign in with a password here. */
  passwordConnectorId: () => string;
  /** More connector options (a test's table prefix and logger, allowInsecureIssuer for a local provider). */
  connectorOptions?: Partial<IdentityConnectorOptions>;
}

export interface PassportHost {
  app: express.Express;
  identity: IdentityConnector;
}

export async function createPassportHost(o: PassportHostOptions): Promise<PassportHost> {
  // The host's own passport: the connector's SCIM bearer authentication never touches it.
  // Typed middleware: @types/passport's session() and authenticate() answer `any` unless told what they return.
  const hostPassport = new passport.Passport() as passport.Authenticator<express.Handler, express.RequestHandler>;
  const identity = await createIdentityConnector({
    knex: o.knex,
    baseUrl: o.baseUrl,
    mountPath: '/identity',
    secretKey: o.secretKey,
    passwordLoginPath: '/login',
    ...o.connectorOptions,
    // No authorizeAdmin: the admin page follows the web role (EnterpriseAdmin, Admin) of the signed-in user.
  });
  await identity.migrate();
  identity.passport(hostPassport);

  hostPassport.use(
    new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
      const users = identity.store.users;
      users.findByUserName(o.passwordConnectorId(), email).then(async (user) => {
        const ok =
          user?.active &&
          user.loginMethod === 'builtin' &&
          (await verifyPassword(password, await users.passwordHash(user.connectorId, user.id)));
        done(null, ok ? { connectorId: user.connectorId, userId: user.id } : false);
      }, done);
    }),
  );

  const app = express();
  const sessions = session({
    name: 'host.sid',
    secret: o.sessionSecret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  });
  const passportSession = hostPassport.session();
  // Sessions and passport skipped on SCIM: no session lookup, no passport deserialization per Entra call.
  app.use(identity.skipOnScim(sessions), identity.skipOnScim(passportSession));
  app.use('/identity', identity.router);

  app.post(
    '/login',
    express.urlencoded({ extended: false }),
    // The login-method check before passport-local: an Entra (SSO) account is refused here with a link to SSO.
    identity.requireLoginMethod('builtin'),
    hostPassport.authenticate('local', { failureRedirect: '/login?failed=1' }),
    (_req, res) => {
      res.redirect(303, '/me');
    },
  );
  app.get('/login', (_req, res) => {
    res
      .type('html')
      .send(
        '<form method="post" action="/login"><input name="email"><input name="password" type="password"><button>Sign in</button></form>',
      );
  });
  app.post('/logout', (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.redirect(303, '/')));
  });
  app.get('/me', (req, res, next) => {
    identity
      .currentUser(req)
      .then((me) => (me ? res.json(me) : res.status(401).json({ error: 'not signed in' })), next);
  });
  app.get('/reports', identity.requireWebRole('User'), (_req, res) => {
    res.type('html').send('<p id="reports">Reports</p>');
  });
  return { app, identity };
}
