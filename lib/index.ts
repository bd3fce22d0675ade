import { Router } from 'express';
import { IdentityEvents } from './model/events.js';
import { defaultLogger, errorFields, requestLogger } from './runtime/log.js';
import { mountPathCheck, schemaCheck } from './web/mount-checks.js';
import { resolveOptions, type IdentityConnectorOptions, type ResolvedOptions } from './runtime/options.js';
import { createRuntime } from './web/runtime.js';
import { createMetrics } from './web/metrics.js';
import { atScimEndpoint, createScimRouter, scimBaseUrl } from './scim/router.js';
import { answerScimNotMigrated } from './scim/error-handler.js';
import { IdentityStore } from './store/index.js';
import { NotFound } from './model/errors.js';
import type { WebRole } from './model/types.js';
import { requireWebRole } from './web/require-web-role.js';
import { skipOnScim } from './web/skip-on-scim.js';
import { createSsoRouter } from './sso/routes.js';
import {
  checkLoginMethod,
  requireLoginMethod,
  type LoginMethodCheck,
  type LoginMethodTarget,
} from './sso/login-method.js';
import {
  configureOidc,
  redirectUri,
  setEntraTenant,
  type OidcSettingsInput,
  type OidcConfigured,
} from './sso/configure.js';
import type { UserWrites } from './policy/user-writes.js';
import type { GroupWrites } from './policy/groups.js';
import { createAdminRouter } from './admin/router.js';
import { adminFromWebRole } from './admin/authorize.js';
import { currentUser, passportSignIn, sessionSignIn, type CurrentUser, type PassportLike } from './web/signed-in.js';
import type { AdminAuthorization } from './runtime/options.js';
import type { Request, RequestHandler } from 'express';
import type { Connector, LoginMethod, UserWorkspaces, Workspace } from './model/types.js';
import type { AuditContext } from './policy/audit.js';

/**
 * What {@link createIdentityConnector} answers: the router to mount, the host's write paths (`users`, `groups`,
 * `workspaces`), the middleware for the host's routes, the sign-in helpers and the store to read from.
 */
export interface IdentityConnector {
  /** Mount at options.mountPath: /scim/v2, /sso, /admin live under it. */
  router: Router;
  /**
   * The identity store on the host's Knex, for reads (`identity.store.users.get`, `connectors.require`, …).
   * Its write methods record without deciding or auditing: the host writes users and groups through `users` and
   * `groups` instead.
   */
  store: IdentityStore;
  /**
   * Every user write the host makes goes through here, as SCIM's and SSO's do: the connector's
   * rules, the login-method default, web roles from `roles`, password hashing and the audit row
   * in the same transaction.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const connector = await identity.store.connectors.require('a-connector-id');
   * const host = { actor: 'host' };
   * // A user the platform creates itself (SCIM's rules apply; the password is stored as a scrypt hash).
   * const ada = await identity.users.create(
   *   connector,
   *   { userName: 'ada@example.com', name: { givenName: 'Ada', familyName: 'Lovelace' } },
   *   host,
   *   { loginMethod: 'builtin', password: 'a long first password' },
   * );
   * await identity.users.setAccess(connector, ada.id, { webRole: 'Admin' }, host);
   * // PUT semantics, refused with PreconditionFailed when someone wrote the user meanwhile.
   * await identity.users.replace(connector, ada.id, { userName: 'ada@example.com', active: false }, host, {
   *   expectedVersion: ada.version + 1,
   * });
   * await identity.users.delete(connector, ada.id, host);
   * ```
   */
  users: UserWrites;
  /**
   * Every group and membership write the host makes, through the same path as SCIM's /Groups: the
   * connector's name prefix, If-Match versions, workspace re-decisions and the audit row in the
   * change's transaction.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const connector = await identity.store.connectors.require('a-connector-id');
   * const group = await identity.groups.create(
   *   connector,
   *   { displayName: 'Night shift', members: [{ value: 'a-user-id' }] },
   *   { actor: 'host' },
   * );
   * // A PATCH-like change computed from the locked current group, applied in one transaction.
   * await identity.groups.patch(
   *   connector,
   *   group.id,
   *   () => ({ membership: [{ op: 'remove', userIds: ['a-user-id'] }] }),
   *   { actor: 'host' },
   *   { expectedVersion: group.version },
   * );
   * ```
   */
  groups: GroupWrites;
  /**
   * Systam's workspaces: the host registers its organizations' workspaces here (or admins do on
   * the admin page); connectors map users to them (settings.workspaces). Registering and removing
   * re-decide the users concerned and are audited; `user.workspaces-changed` follows each change.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * await identity.workspaces.register('org-1', { id: 'ws-amsterdam', name: 'Amsterdam' });
   * await identity.workspaces.register('org-1', { id: 'ws-utrecht', name: 'Utrecht' });
   * identity.events.on('user.workspaces-changed', ({ userId, after }) => {
   *   console.log(`${userId} now works in ${after.primary ?? 'no workspace'}`);
   * });
   * const { primary, workspaces } = await identity.workspaces.forUser('a-connector-id', 'a-user-id');
   * console.log(primary, workspaces);
   * ```
   */
  workspaces: IdentityWorkspaces;
  /**
   * The connector's events (users, groups, memberships, workspaces, connectors, tokens, sign-ins), fired after
   * their transaction commits; see {@link IdentityEventMap}. A throwing listener is logged, never fails the write.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * identity.events.on('user.deactivated', (user) => {
   *   console.log(`end the sessions of ${user.userName}`);
   * });
   * identity.events.on('login.failed', ({ userId, reason }) => {
   *   console.log(`sign-in refused for ${userId ?? 'an unknown account'}: ${reason}`);
   * });
   * ```
   */
  events: IdentityEvents;
  /** The options as checked, with every default filled in. */
  options: ResolvedOptions;
  /** The SCIM base URL Entra's "Tenant URL" field takes. */
  scimUrl: string;
  /** Applies the shipped migrations (prefixed tables) with the host's Knex. */
  migrate(): Promise<string[]>;
  /**
   * Middleware: the signed-in user needs at least this web access role (ReadOnly < User < Admin <
   * EnterpriseAdmin). Without a signed-in active user, a browser's GET is sent to the sign-in page and back, any
   * other request answered 401; a lower role, or none, is answered 403 with the refusal page. The role is read from the store on each request, so a change in
   * Entra applies at once.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const app = express();
   * app.get('/reports', identity.requireWebRole('ReadOnly'), (_req, res) => {
   *   res.send('reports');
   * });
   * app.post('/settings', identity.requireWebRole('Admin'), (_req, res) => {
   *   res.sendStatus(204);
   * });
   * ```
   */
  requireWebRole(minimum: WebRole): ReturnType<ReturnType<typeof requireWebRole>>;
  /**
   * The login-method check the host's login calls once it knows the account it is about to sign
   * in (by `{ connectorId, userId }`, or by the identifier typed: userName or any email, any
   * letter case). Sign in only when `allowed`, and only one of `allowedUsers` when it names any.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * // In the host's own password login, once the form's address is known:
   * const check = await identity.checkLoginMethod('ada@example.com', 'builtin');
   * if (!check.allowed) console.log('this account signs in through Entra: send it to the SSO page');
   * else if (check.allowedUsers.length) console.log(`verify the password of ${check.allowedUsers[0].userName}`);
   * else console.log('not provisioned here: the host checks its own accounts as before');
   * ```
   */
  checkLoginMethod(target: LoginMethodTarget, method: LoginMethod): Promise<LoginMethodCheck>;
  /**
   * Middleware for the host's login routes (a convenience over checkLoginMethod): e.g. an SSO user is refused on
   * the password route, with the refusal page pointing them to sign-in through Entra. It reads the account from the
   * form fields `email`, `username`, `userName` or `login` (and `fields`); the users allowed are left in
   * `res.locals.identityAllowedUsers` for the host's login to choose from.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const app = express();
   * app.post('/login', express.urlencoded({ extended: false }), identity.requireLoginMethod('builtin'), (_req, res) => {
   *   const allowed = res.locals.identityAllowedUsers ?? [];
   *   // check the password against one of `allowed` (or the host's own accounts), then sign in
   *   res.redirect(allowed.length ? '/' : '/login?failed');
   * });
   * ```
   */
  requireLoginMethod(
    method: LoginMethod,
    options?: { fields?: string[] },
  ): ReturnType<ReturnType<typeof requireLoginMethod>>;
  /**
   * Sets a connector's OpenID Connect settings (OpenID Connect Core 1.0; the issuer is discovered per OpenID
   * Connect Discovery 1.0); the client secret is stored encrypted with `secretKey`, and the change is audited as
   * actor `host`. Users can be switched to SSO once a sign-in through the connector has completed.
   *
   * @throws {@link OidcSettingsError} naming the field at fault: no issuer and no tenant id, an issuer that is not
   * an absolute https URL (http only with `allowInsecureIssuer`) or is an Entra endpoint rather than the authority,
   * a tenant id that is not a GUID or disagrees with the issuer, a missing client id.
   * @throws {@link NotFound} for an unknown connector.
   *
   * @example
   * ```ts
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const tenantId = '11111111-2222-3333-4444-555555555555';
   * const { redirectUri } = await identity.configureOidc('a-connector-id', {
   *   issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`,
   *   tenantId,
   *   clientId: '66666666-7777-8888-9999-000000000000',
   *   clientSecret: process.env.ENTRA_CLIENT_SECRET ?? '',
   * });
   * console.log(`register ${redirectUri} in Entra under Authentication → Web`);
   * ```
   */
  configureOidc(connectorId: string, input: OidcSettingsInput): Promise<OidcConfigured>;
  /**
   * Stores a connector's Entra tenant id (Directory (tenant) ID) alone, with or without OpenID
   * Connect; null clears it. Once set, every sign-in token's `tid` must be this tenant.
   */
  setEntraTenant(connectorId: string, tenantId: string | null): Promise<Connector>;
  /** The redirect URI to register in Entra (Authentication → Web). */
  redirectUri: string;
  /**
   * The signed-in user (web role, login method, organization), read from the store on each call;
   * null when nobody is signed in or the account was deactivated or deleted since.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const app = express();
   * app.get('/me', async (req, res) => {
   *   const user = await identity.currentUser(req);
   *   if (!user) return void res.sendStatus(401);
   *   res.json({ userName: user.userName, role: user.webRole, organization: user.organizationId });
   * });
   * ```
   */
  currentUser(req: Request): Promise<CurrentUser | null>;
  /**
   * For passport hosts: registers serializeUser/deserializeUser on the host's passport (the
   * session keeps `{ connectorId, userId }`; `req.user` becomes the CurrentUser; other users are
   * passed on to the host's own serializers) and makes the connector sign in with `req.login`,
   * sign out with `req.logout` and read `req.user`. Call it once, before the server listens;
   * refused when the host passed its own signIn, signOut or currentUser.
   *
   * @throws Error when the options named their own signIn, signOut or currentUser.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import session from 'express-session';
   * import passport from 'passport';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const app = express();
   * app.use(session({ secret: 'a session secret of the host', resave: false, saveUninitialized: false }));
   * app.use(passport.initialize());
   * app.use(passport.session());
   * identity.passport(passport); // before the server listens
   * app.use('/identity', identity.router);
   * ```
   */
  passport(passport: PassportLike): void;
  /**
   * authorizeAdmin by web role (the default when the host passes none): EnterpriseAdmin
   * administers all of their own organization, Admin its users, login methods and log; anyone else
   * nothing (`false`). A host with platform staff of its own answers `{ organizations: 'all' }` for
   * them in its authorizeAdmin and calls this for everyone else.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * const app = express();
   * // Show the admin page's link only to those it would let in.
   * app.get('/menu', async (req, res) => {
   *   const scope = await identity.adminFromWebRole(req);
   *   res.json({ adminLink: scope === false ? null : '/identity/admin' });
   * });
   * ```
   */
  adminFromWebRole(req: Request): Promise<AdminAuthorization>;
  /**
   * The host's browser middleware (express-session, `passport.session()`, CSRF checks) skipped on
   * the connector's SCIM paths (`{mountPath}/scim/…` and each connector's own `{mountPath}/{scimEndpoint}/scim/…`):
   * Entra provisions with a bearer token, never a cookie, so no session is read or written per SCIM request.
   *
   * @example
   * ```ts
   * import express from 'express';
   * import session from 'express-session';
   * import type { IdentityConnector } from 'identity-connector';
   * declare const identity: IdentityConnector;
   * declare const sessionSecret: string; // the host's own, not the connector's secretKey
   * const app = express();
   * app.use(identity.skipOnScim(session({ secret: sessionSecret, resave: false, saveUninitialized: false })));
   * app.use('/identity', identity.router);
   * ```
   */
  skipOnScim(middleware: RequestHandler): RequestHandler;
  /**
   * Writes what the connector holds in memory (rate-limit hits counted locally, the failed-
   * authentication aggregates) and stops its background work. Call it after the HTTP server has
   * closed and before destroying Knex, which stays the host's (see `stopGracefully`).
   */
  close(): Promise<void>;
}

/** `identity.workspaces`: the host's side of Systam's workspaces; every change is audited (actor `host` by default). */
export interface IdentityWorkspaces {
  /** Registers a workspace of the organization under the host's own id, or renames it. */
  register(
    organizationId: string,
    workspace: { id: string; name?: string },
    context?: AuditContext,
  ): Promise<Workspace>;
  /** The organization's workspaces, oldest first (the first is the fallback of last resort). */
  list(organizationId: string): Promise<Workspace[]>;
  /** Removes a workspace; its users move to what their mapping decides next. False when it did not exist. */
  remove(organizationId: string, id: string, context?: AuditContext): Promise<boolean>;
  /** The user's workspaces: the primary one and the whole set. */
  forUser(connectorId: string, userId: string): Promise<UserWorkspaces>;
  /** Re-decides every user of the connector (a changed mapping applies to each user at their next write otherwise); answers how many changed. */
  resync(connector: Connector, context?: AuditContext): Promise<number>;
}

const HOST: AuditContext = { actor: 'host' };

/**
 * The connector for one host: checks the options (an unknown or malformed one throws an `OptionsError` at
 * start-up), opens the identity store on the host's Knex and assembles the SCIM, SSO and admin routers. Mount
 * `identity.router` at `options.mountPath` after the host's session middleware; run `identity.migrate()` once.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { connectKnex, createIdentityConnector, stopGracefully } from 'identity-connector';
 *
 * const knex = connectKnex('sqlite:./data/app.sqlite');
 * const identity = await createIdentityConnector({
 *   knex,
 *   baseUrl: 'https://app.example.com',
 *   mountPath: '/identity',
 *   secretKey: 'a secret of at least 32 characters, from the environment',
 *   authorizeAdmin: () => false,
 * });
 * await identity.migrate();
 *
 * const app = express();
 * app.use('/identity', identity.router);
 * app.get('/reports', identity.requireWebRole('User'), (_req, res) => { res.send('reports'); });
 * identity.events.on('user.created', (user) => { console.log(`provisioned ${user.userName}`); });
 * const server = app.listen(3000);
 * stopGracefully(server, async () => { await identity.close(); await knex.destroy(); }, console.log);
 * ```
 */
export async function createIdentityConnector(options: IdentityConnectorOptions): Promise<IdentityConnector> {
  const resolved = resolveOptions(options, defaultLogger);
  const events = new IdentityEvents();
  events.listenerFailed = (event, error) =>
    resolved.logger.error('an identity event listener failed', { event, ...errorFields(error) });
  const store = new IdentityStore(
    resolved.knex,
    resolved.tablePrefix,
    events,
    undefined,
    undefined,
    resolved.sqliteGroupCommit,
  );
  const runtime = createRuntime(store, resolved);
  runtime.purge.start(events);
  // prom-client is imported only here, and only when the host asked for metrics.
  const metrics = resolved.metrics
    ? await createMetrics(resolved.metrics, { events, store, logger: resolved.logger })
    : undefined;
  // Without the host's own, the signed-in user is kept in express-session (req.session.identity).
  const ownSignIn = Boolean(resolved.signIn || resolved.signOut || resolved.currentUser);
  if (!ownSignIn) Object.assign(resolved, sessionSignIn);
  const byWebRole = adminFromWebRole(runtime);
  if (!options.authorizeAdmin) resolved.authorizeAdmin = byWebRole;

  const router = Router();
  router.use(requestLogger(resolved.logger));
  router.use(mountPathCheck(resolved), schemaCheck(store, resolved.logger, answerScimNotMigrated));
  // One instance at both paths: one token cache and one rate-limit budget per token, not two.
  const scim = createScimRouter(runtime, metrics);
  router.use('/scim/v2', scim);
  router.use('/scim', scim);
  router.use('/sso', createSsoRouter(runtime));
  router.use('/admin', createAdminRouter(runtime));
  // A connector's own endpoint (settings.scimEndpoint), after the fixed paths: same router.
  router.use('/:endpoint/scim', atScimEndpoint, scim);

  return {
    router,
    store,
    users: runtime.users,
    groups: runtime.groups,
    workspaces: {
      register: (organizationId, workspace, context = HOST) =>
        runtime.workspaces.register(organizationId, workspace, context),
      list: (organizationId) => store.workspaces.list(organizationId),
      remove: (organizationId, id, context = HOST) =>
        runtime.workspaces.remove(organizationId, id, context).catch((error) => {
          if (error instanceof NotFound) return false;
          throw error;
        }),
      forUser: (connectorId, userId) => store.workspaces.forUser(connectorId, userId),
      resync: (connector, context = HOST) => runtime.workspaces.resync(connector, context),
    },
    events,
    options: resolved,
    scimUrl: scimBaseUrl(runtime),
    migrate: async () => {
      const applied = await store.migrate();
      runtime.purge.soon(); // what a crashed instance left queued, now that the tables exist
      return applied;
    },
    requireWebRole: requireWebRole(runtime),
    requireLoginMethod: requireLoginMethod(runtime),
    checkLoginMethod: checkLoginMethod(runtime),
    configureOidc: (connectorId, input) => configureOidc(runtime, connectorId, input),
    setEntraTenant: (connectorId, tenantId) => setEntraTenant(runtime, connectorId, tenantId),
    redirectUri: redirectUri(resolved),
    currentUser: (req) => currentUser(store, resolved, req),
    passport(passport) {
      if (ownSignIn)
        throw new Error(
          'identity-connector: identity.passport() replaces signIn, signOut and currentUser; pass none of them in the options',
        );
      Object.assign(resolved, passportSignIn(store, passport));
    },
    adminFromWebRole: byWebRole,
    skipOnScim: skipOnScim(resolved.mountPath),
    async close() {
      await Promise.all([scim.close(), runtime.purge.close()]);
      events.removeAllListeners();
    },
  };
}

export type { UserWrites, CreateOptions, AccessChange, WriteOptions } from './policy/user-writes.js';
export type { AuditContext } from './policy/audit.js';
export type { LoginMethodCheck, LoginMethodTarget } from './sso/login-method.js';
export type { AdminScope } from './model/admin-wire.js';
export type { CurrentUser, SignedInKey, PassportLike } from './web/signed-in.js';
export type { AdminAuthorization } from './runtime/options.js';
export {
  OptionsError,
  type IdentityConnectorOptions,
  type MetricsOptions,
  type MetricsRegistry,
} from './runtime/options.js';
export type { IdentityEventMap, IdentityEventName, LoginEvent } from './model/events.js';
export { IdentityStore, StoreError, isStoreError } from './store/index.js';
export {
  IdentityConnectorError,
  InvalidInput,
  PolicyRefusal,
  NotFound,
  Conflict,
  PreconditionFailed,
  Unavailable,
  type ErrorDetails,
  type InvalidReason,
  type PolicyRefusalCode,
} from './model/errors.js';
export { SettingsError } from './model/settings.js';
export { OidcSettingsError } from './policy/oidc.js';
export type { GroupWrites, GroupChange, GroupWriteOptions } from './policy/groups.js';
export type * from './model/types.js';
export { knexConfigFromUrl, connectKnex } from './store/connect.js';
export { stopGracefully, SHUTDOWN_GRACE_MS } from './web/shutdown.js';
export { safeReturnTo } from './sso/return-to.js';
export type { RateLimitStore } from './model/counters.js';
// The types the exports above name, so that a host can name them too (and the API reference links them).
export type { IdentityEvents } from './model/events.js';
export type { ResolvedOptions } from './runtime/options.js';
export type { OidcSettingsInput } from './policy/oidc.js';
export type { OidcConfigured } from './sso/configure.js';
export type { Filter, AttrPath, CompareOperator, FilterValue } from './model/filter.js';
export type { ResolvedAttribute } from './model/schemas/registry.js';
export type {
  AttributeDef,
  AttributeType,
  Mutability,
  Returned,
  SchemaDef,
  Uniqueness,
} from './model/schemas/types.js';
export type { ExtensionChoice, HostExtension } from './model/schemas/extension-sets.js';
export type { StoreErrorCode } from './store/errors.js';
export type { TableNames } from './store/tables.js';
export type { ConnectorStore, ConnectorPage, OidcWrite } from './store/connectors.js';
export type { UserStore, ReadOptions } from './store/users.js';
export type { GroupStore, MembershipOutcome } from './store/groups.js';
export type { TokenStore, RevokedToken } from './store/tokens.js';
export type { AuditStore } from './store/audit.js';
export type { WorkspaceStore, WorkspaceChange } from './store/workspaces.js';
export { identityMigrationConfig, identityMigrationsDirectory } from './store/migrate.js';
