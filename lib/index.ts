import { Router } from 'express';
import { SecretBox } from './crypto/secret-box.js';
import { IdentityEvents } from './events.js';
import { defaultLogger, requestLogger } from './log.js';
import { mountPathCheck, schemaCheck } from './mount-checks.js';
import { resolveOptions, type IdentityConnectorOptions, type ResolvedOptions } from './options.js';
import type { Runtime } from './runtime.js';
import { createScimRouter, scimBaseUrl } from './scim/router.js';
import { IdentityStore } from './store/index.js';
import type { WebRole } from './store/types.js';
import { requireWebRole } from './web/require-web-role.js';
import { createSsoRouter, requireLoginMethod, configureOidc, redirectUri, type OidcSettingsInput, type OidcConfigured } from './sso/index.js';
import { createAdminRouter } from './admin/router.js';
import type { LoginMethod } from './store/types.js';

export interface IdentityConnector {
  /** Mount at options.mountPath: /scim/v2, /sso, /admin live under it. */
  router: Router;
  store: IdentityStore;
  events: IdentityEvents;
  options: ResolvedOptions;
  /** The SCIM base URL Entra's "Tenant URL" field takes. */
  scimUrl: string;
  /** Applies the shipped migrations (prefixed tables) with the host's Knex. */
  migrate(): Promise<string[]>;
  /** Middleware: the signed-in user needs at least this web access role. */
  requireWebRole(minimum: WebRole): ReturnType<ReturnType<typeof requireWebRole>>;
  /** Middleware for the host's login routes: e.g. an SSO user is refused on the password route. */
  requireLoginMethod(method: LoginMethod): ReturnType<ReturnType<typeof requireLoginMethod>>;
  /** Sets a connector's OpenID Connect settings; the client secret is stored encrypted. */
  configureOidc(connectorId: string, input: OidcSettingsInput): Promise<OidcConfigured>;
  /** The redirect URI to register in Entra (Authentication → Web). */
  redirectUri: string;
  /** Stops background work; the host's Knex stays the host's to destroy. */
  close(): Promise<void>;
}

export async function createIdentityConnector(options: IdentityConnectorOptions): Promise<IdentityConnector> {
  const resolved = resolveOptions(options, defaultLogger);
  const events = new IdentityEvents();
  const store = new IdentityStore(resolved.knex, resolved.tablePrefix, events);
  const runtime: Runtime = { store, options: resolved, events, secrets: new SecretBox(resolved.secretKey), logger: resolved.logger };

  const router = Router();
  router.use(requestLogger(resolved.logger));
  router.use(mountPathCheck(resolved), schemaCheck(store, resolved.logger));
  // One instance at both paths: one token cache and one rate-limit budget per token, not two.
  const scim = createScimRouter(runtime);
  router.use('/scim/v2', scim);
  router.use('/scim', scim);
  router.use('/sso', createSsoRouter(runtime));
  router.use('/admin', createAdminRouter(runtime));

  return {
    router,
    store,
    events,
    options: resolved,
    scimUrl: scimBaseUrl(runtime),
    migrate: () => store.migrate(),
    requireWebRole: requireWebRole(runtime),
    requireLoginMethod: requireLoginMethod(runtime),
    configureOidc: (connectorId, input) => configureOidc(runtime, connectorId, input),
    redirectUri: redirectUri(resolved),
    async close() {
      events.removeAllListeners();
    },
  };
}

export type { IdentityConnectorOptions } from './options.js';
export type { IdentityEventMap, IdentityEventName, LoginEvent } from './events.js';
export { IdentityStore, StoreError, isStoreError } from './store/index.js';
export type * from './store/types.js';
export { knexConfigFromUrl, connectKnex } from './store/connect.js';
export { identitySchemaMigration } from './store/migrations/20261123000000_identity_schema.js';
