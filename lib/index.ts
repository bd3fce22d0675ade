import { Router } from 'express';
import { SecretBox } from './crypto/secret-box.js';
import { IdentityEvents } from './events.js';
import { defaultLogger } from './log.js';
import { resolveOptions, type IdentityConnectorOptions, type ResolvedOptions } from './options.js';
import type { Runtime } from './runtime.js';
import { createScimRouter, scimBaseUrl } from './scim/router.js';
import { IdentityStore } from './store/index.js';
import type { WebRole } from './store/types.js';
import { requireWebRole } from './web/require-web-role.js';

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
  /** Stops background work; the host's Knex stays the host's to destroy. */
  close(): Promise<void>;
}

export async function createIdentityConnector(options: IdentityConnectorOptions): Promise<IdentityConnector> {
  const resolved = resolveOptions(options, defaultLogger);
  const events = new IdentityEvents();
  const store = new IdentityStore(resolved.knex, resolved.tablePrefix, events);
  const runtime: Runtime = { store, options: resolved, events, secrets: new SecretBox(resolved.secretKey), logger: resolved.logger };
  if (resolved.allowInsecureIssuer) {
    resolved.logger.warn('allowInsecureIssuer is ON: http:// OpenID issuers are accepted. Use this for local testing only, never in production.');
  }

  const router = Router();
  router.use('/scim/v2', createScimRouter(runtime));
  router.use('/scim', createScimRouter(runtime));

  return {
    router,
    store,
    events,
    options: resolved,
    scimUrl: scimBaseUrl(runtime),
    migrate: () => store.migrate(),
    requireWebRole: requireWebRole(runtime),
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
export { identitySchemaMigration } from '../migrations/20261123000000_identity_schema.js';
