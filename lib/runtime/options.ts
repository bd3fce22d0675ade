import { appRedirectUriProblem } from '../model/app-redirect-uris.js';
import type { Knex } from 'knex';
import type { Request, Response } from 'express';
import type { Logger } from 'winston';
import { didYouMean } from '../model/did-you-mean.js';
import { isValidTablePrefix } from '../store/tables.js';
import type { StoredUser } from '../model/types.js';
import type { AdminScope } from '../model/admin-wire.js';
import type { RateLimitStore } from '../model/counters.js';
import { OPTION_DEFAULTS } from './defaults.js';

/** What authorizeAdmin answers: `true` means every organization (kept from when it was a yes/no). */
export type AdminAuthorization = boolean | AdminScope;

/**
 * What the connector needs of a prom-client `Registry` (`new Registry()`, or prom-client's default `register`):
 * written out here so that the connector's types compile in hosts without prom-client.
 */
export interface MetricsRegistry {
  /** prom-client's `Registry.registerMetric`: the connector's metrics are created with `registers: [registry]`. */
  registerMetric(metric: never): void;
  /** prom-client's `Registry.getSingleMetric`. */
  getSingleMetric(name: string): unknown;
}

/** The `metrics` option: the host's prom-client registry, which the connector adds its metrics to. */
export interface MetricsOptions {
  /** The registry the host serves (e.g. at `/metrics` with `await registry.metrics()`). */
  registry: MetricsRegistry;
}

/**
 * What `createIdentityConnector` takes. Only `knex`, `baseUrl`, `mountPath` and `secretKey` are required; every
 * other option's default is in `OPTION_DEFAULTS` (lib/runtime/defaults.ts) and the README's options table. An
 * unknown or malformed option throws an {@link OptionsError} at start-up, with a "did you mean" hint for a misspelling.
 */
export interface IdentityConnectorOptions {
  /** The host's Knex instance (mysql2, pg or better-sqlite3). */
  knex: Knex;
  /** Public origin, e.g. https://app.example.com: SCIM locations and the redirect URI derive from it. */
  baseUrl: string;
  /** Where the host mounts `identity.router`, e.g. /identity. */
  mountPath: string;
  /**
   * ≥ 32 characters; encrypts OIDC client secrets at rest and signs SSO and admin cookies. To rotate,
   * give a list, as express-session's `secret`: the first encrypts and signs, every one decrypts and verifies.
   */
  secretKey: string | readonly string[];
  /** A winston logger; a quiet console logger otherwise. */
  logger?: Logger;
  /** Prefix of every table the connector creates (default idc_). */
  tablePrefix?: string;
  /**
   * Who may use /admin, and over which organizations: the host decides. `{ organizations: 'all' }`
   * (or `true`) for platform staff, `{ organizations: ['org-1'] }` for an organization's admins,
   * `false` (or an empty list) for everyone else.
   */
  authorizeAdmin?: (req: Request) => AdminAuthorization | Promise<AdminAuthorization>;
  /** Establishes the host session for a user who signed in through Entra. */
  signIn?: (req: Request, res: Response, user: StoredUser) => void | Promise<void>;
  /** Ends the host session. */
  signOut?: (req: Request, res: Response) => void | Promise<void>;
  /** The signed-in user's id in this store, for requireWebRole / requireLoginMethod. */
  currentUser?: (req: Request) =>
    | {
        /** The signed-in user's connector. */
        connectorId: string;
        /** The signed-in user's id. */
        userId: string;
      }
    | null
    | undefined
    | Promise<
        | {
            /** The signed-in user's connector. */
            connectorId: string;
            /** The signed-in user's id. */
            userId: string;
          }
        | null
        | undefined
      >;
  /** The host's password page, where home-realm discovery sends `builtin` users. */
  passwordLoginPath?: string;
  /**
   * The platform's mobile and desktop apps (RFC 8252): the redirect URIs they receive a sign-in
   * at — a private-use scheme (`com.example.app:/oauth2redirect`), a claimed https URL, or a
   * loopback `http://127.0.0.1/callback` (any port, RFC 8252 §7.3). Shown on the admin page as
   * the guide's "Mobile and desktop applications" redirect URI. Empty: app sign-in is off.
   */
  appRedirectUris?: string[];
  /**
   * Issues the app's own session for a user who signed in through Entra in the system browser and
   * redeemed the one-time code at `{mountPath}/sso/app/token`: answer what the app receives (e.g.
   * `{ access_token, expires_in }`), as `signIn` establishes a browser session.
   */
  signInApp?: (req: Request, user: StoredUser) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Largest SCIM request body in bytes (default 1 MB). */
  maxBodyBytes?: number;
  /** Largest page a list returns (default 200). */
  maxPageSize?: number;
  /** SCIM requests per minute per token (default 1200); over it → 429. */
  rateLimitPerMinute?: number;
  /**
   * Where the rate limits count (per-token budget, failed bearer attempts), so that every
   * instance shares one budget: `'database'` (default: the host's database, hits sent in
   * batches), `'memory'` (one process only: each instance would get its own budget), or an
   * express-rate-limit store such as rate-limit-redis's `RedisStore` for high traffic.
   */
  rateLimitStore?: 'database' | 'memory' | RateLimitStore;
  /** Allow http:// OIDC issuers: for local testing only; logged loudly. */
  allowInsecureIssuer?: boolean;
  /** Allow an http:// baseUrl that is not this machine (localhost, 127.0.0.0/8, ::1): cookies and tokens would travel in clear. */
  allowInsecureBaseUrl?: boolean;
  /** How long an OIDC discovery document is cached per connector (default 1 hour). */
  discoveryTtlMs?: number;
  /** A SCIM request still waiting on the database after this long answers 503 with Retry-After (default 5 s). */
  databaseTimeoutMs?: number;
  /**
   * The window the rate limits count over (default 60 s): `rateLimitPerMinute` requests per token
   * and the failed-bearer-attempt limits are budgets per window. Shorter only for tests that must
   * see windows turn over (e.g. during a database freeze).
   */
  rateLimitWindowMs?: number;
  /**
   * On SQLite, writes that arrive together share one commit (default false): the first of a batch
   * runs as it would alone, each one after it in a SAVEPOINT of its own, so a failure rolls back
   * only its own request, and each request is answered after the commit that holds it. A write that
   * arrives alone is BEGIN IMMEDIATE, its statements, COMMIT, not delayed. Other databases commit
   * each write on its own whatever this says.
   */
  sqliteGroupCommit?: boolean;
  /**
   * The time the rate limits read (epoch milliseconds; default `Date.now`): their windows are aligned on it, so a
   * test can start inside a fresh window instead of waiting for the wall clock. A host leaves it out.
   *
   * @example A test pins the start of a window (every instance of one test shares the clock):
   * ```ts
   * const offset = Math.ceil(Date.now() / 60_000) * 60_000 - Date.now();
   * const clock = () => Date.now() + offset;
   * ```
   */
  clock?: () => number;
  /**
   * Prometheus metrics per connector (SCIM requests and latency, provisioning refusals, sign-ins,
   * paused deprovisioning, database conflicts) in the host's prom-client registry. prom-client
   * is an optional peer dependency, imported only when this option is given.
   */
  metrics?: MetricsOptions;
}

/**
 * The options after `createIdentityConnector` checked them and filled in the defaults (`identity.options`):
 * read-only for the host; the connector's parts read their settings here.
 */
export interface ResolvedOptions extends Required<
  Omit<
    IdentityConnectorOptions,
    | 'rateLimitStore'
    | 'secretKey'
    | 'logger'
    | 'authorizeAdmin'
    | 'signIn'
    | 'signOut'
    | 'currentUser'
    | 'passwordLoginPath'
    | 'signInApp'
    | 'metrics'
  >
> {
  /** The first encrypts and signs; all decrypt and verify. */
  secretKey: string[];
  /** The host's logger, or the connector's quiet console logger. */
  logger: Logger;
  /** The host's authorizeAdmin, or `identity.adminFromWebRole` when it passed none. */
  authorizeAdmin: (req: Request) => AdminAuthorization | Promise<AdminAuthorization>;
  /** How a sign-in is kept: the host's, express-session's (the default) or passport's (`identity.passport`). */
  signIn?: IdentityConnectorOptions['signIn'];
  /** How a sign-out ends the session, chosen as `signIn` is. */
  signOut?: IdentityConnectorOptions['signOut'];
  /** How the signed-in user is read, chosen as `signIn` is. */
  currentUser?: IdentityConnectorOptions['currentUser'];
  /** The host's app session issuer; undefined: app sign-in answers no session. */
  signInApp?: IdentityConnectorOptions['signInApp'];
  /** The host's password page; null: home-realm discovery has nowhere to send `builtin` users. */
  passwordLoginPath: string | null;
  /** Where the rate limits count. */
  rateLimitStore: 'database' | 'memory' | RateLimitStore;
  /** Null: no metrics (prom-client is not loaded). */
  metrics: MetricsOptions | null;
}

/**
 * A misconfiguration found at start-up: `createIdentityConnector` throws it for an unknown option (with a "did you
 * mean" hint), a missing or malformed one (a `secretKey` under 32 characters, a `baseUrl` that is not a URL, an
 * http `baseUrl` off this machine, …). The message names the option and the fix; it is meant for the operator.
 *
 * @example
 * ```ts
 * import { createIdentityConnector, connectKnex, OptionsError } from 'identity-connector';
 * try {
 *   await createIdentityConnector({
 *     knex: connectKnex('sqlite::memory:'),
 *     baseUrl: 'https://app.example.com',
 *     mountPath: '/identity',
 *     secretKey: 'too short',
 *   });
 * } catch (error) {
 *   if (error instanceof OptionsError) console.error(error.message); // names secretKey and how to make one
 *   else throw error;
 * }
 * ```
 */
export class OptionsError extends Error {
  constructor(message: string) {
    super(`identity-connector: ${message}`);
    this.name = 'OptionsError';
  }
}

/** Every option name: OPTION_DEFAULTS is checked against the interface both ways by the compiler. */
const OPTION_NAMES: Record<keyof IdentityConnectorOptions, unknown> = OPTION_DEFAULTS;

/** A misspelt option would otherwise be ignored and its default silently used. */
function refuseUnknownOptions(options: object): void {
  const known = Object.keys(OPTION_NAMES);
  for (const name of Object.keys(options)) {
    if (name in OPTION_NAMES) continue;
    throw new OptionsError(`unknown option "${name}"${didYouMean(name, known)}`);
  }
}

const LOCAL_HOST = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/;

function secretKeys(secretKey: unknown): string[] {
  const keys: unknown[] =
    typeof secretKey === 'string' ? [secretKey] : Array.isArray(secretKey) ? [...(secretKey as unknown[])] : [];
  if (keys.length === 0 || !keys.every((key): key is string => typeof key === 'string' && key.length >= 32)) {
    throw new OptionsError(
      'options.secretKey must be a string of at least 32 characters (e.g. `openssl rand -base64 48`), or a list of them to rotate (the first is used for new secrets); it encrypts OIDC client secrets',
    );
  }
  return keys;
}

function appRedirectUris(uris: unknown): string[] {
  if (uris === undefined) return [...OPTION_DEFAULTS.appRedirectUris.value];
  if (!Array.isArray(uris) || !uris.every((u) => typeof u === 'string'))
    throw new OptionsError('options.appRedirectUris must be a list of redirect URIs');
  for (const uri of uris) {
    const problem = appRedirectUriProblem(uri);
    if (problem) throw new OptionsError(`options.appRedirectUris: "${uri}" ${problem} (RFC 8252)`);
  }
  return [...uris] as string[];
}

/** An express-rate-limit store: what the limits call is increment and decrement. */
function isRateLimitStore(store: unknown): store is RateLimitStore {
  const candidate = store as Partial<RateLimitStore> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.increment === 'function' &&
    typeof candidate.decrement === 'function'
  );
}

function rateLimitStore(store: unknown): ResolvedOptions['rateLimitStore'] {
  if (store === undefined) return OPTION_DEFAULTS.rateLimitStore.value;
  if (store === 'database' || store === 'memory') return store;
  if (isRateLimitStore(store)) return store;
  throw new OptionsError(
    `options.rateLimitStore must be "database" (default), "memory" (one instance only), or an express-rate-limit store with increment and decrement, e.g. new RedisStore({ sendCommand }) from rate-limit-redis (got ${typeof store === 'string' ? JSON.stringify(store) : typeof store})`,
  );
}

function metricsOption(metrics: IdentityConnectorOptions['metrics'] | undefined): MetricsOptions | null {
  if (metrics === undefined) return null;
  const registry: Partial<MetricsRegistry> | undefined = metrics?.registry;
  if (
    typeof metrics !== 'object' ||
    metrics === null ||
    Object.keys(metrics).some((key) => key !== 'registry') ||
    typeof registry?.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function'
  )
    throw new OptionsError(
      "options.metrics must be { registry } with a prom-client Registry, e.g. { registry: new Registry() } (import { Registry } from 'prom-client')",
    );
  return { registry: metrics.registry };
}

/** Validates options up front, so a misconfiguration fails at start-up with a fix in the message. */
export function resolveOptions(options: IdentityConnectorOptions, defaultLogger: () => Logger): ResolvedOptions {
  if (!options || typeof options !== 'object')
    throw new OptionsError('createIdentityConnector(options) needs an options object');
  refuseUnknownOptions(options);
  const { knex } = options;
  if (typeof knex !== 'function' || typeof knex.transaction !== 'function') {
    throw new OptionsError(
      'options.knex must be a Knex instance, e.g. knex({ client: "mysql2", connection: process.env.DATABASE_URL })',
    );
  }
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new OptionsError(
      `options.baseUrl must be an absolute URL such as https://app.example.com (got ${JSON.stringify(options.baseUrl)})`,
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new OptionsError('options.baseUrl must use https:// (or http:// for local development)');
  if (base.pathname !== '/' || base.search || base.hash)
    throw new OptionsError(
      'options.baseUrl must be an origin without path, query or fragment; put the path in options.mountPath',
    );
  if (base.protocol === 'http:' && !LOCAL_HOST.test(base.hostname) && options.allowInsecureBaseUrl !== true) {
    throw new OptionsError(
      `options.baseUrl ${base.origin} is http:// on another machine: session cookies, SCIM tokens and sign-in codes would travel in clear; use https://, or set allowInsecureBaseUrl: true for a test network`,
    );
  }
  const { mountPath } = options;
  if (typeof mountPath !== 'string' || !/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(mountPath)) {
    throw new OptionsError(
      `options.mountPath is required: the path where you mount identity.router, starting with "/" and not ending with one, e.g. "/identity" (got ${JSON.stringify(mountPath)})`,
    );
  }
  const keys = secretKeys(options.secretKey);
  const tablePrefix = options.tablePrefix ?? OPTION_DEFAULTS.tablePrefix.value;
  if (!isValidTablePrefix(tablePrefix))
    throw new OptionsError(
      `options.tablePrefix "${tablePrefix}" must be up to 16 letters, digits or underscores, starting with a letter`,
    );
  for (const name of ['authorizeAdmin', 'signIn', 'signOut', 'currentUser', 'signInApp', 'clock'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw new OptionsError(`options.${name} must be a function`);
  }
  const positive = (
    name:
      | 'maxBodyBytes'
      | 'maxPageSize'
      | 'rateLimitPerMinute'
      | 'discoveryTtlMs'
      | 'databaseTimeoutMs'
      | 'rateLimitWindowMs',
  ) => {
    const value = options[name] ?? OPTION_DEFAULTS[name].value;
    if (!Number.isInteger(value) || value <= 0) throw new OptionsError(`options.${name} must be a positive integer`);
    return value;
  };
  if (options.passwordLoginPath !== undefined && !/^\/(?!\/)/.test(options.passwordLoginPath)) {
    throw new OptionsError('options.passwordLoginPath must be a path on this site such as /login');
  }
  return {
    knex,
    baseUrl: base.origin,
    mountPath,
    secretKey: keys,
    logger: options.logger ?? defaultLogger(),
    tablePrefix,
    authorizeAdmin: options.authorizeAdmin ?? (() => false),
    signIn: options.signIn,
    signOut: options.signOut,
    currentUser: options.currentUser,
    passwordLoginPath: options.passwordLoginPath ?? OPTION_DEFAULTS.passwordLoginPath.value,
    appRedirectUris: appRedirectUris(options.appRedirectUris),
    signInApp: options.signInApp,
    maxBodyBytes: positive('maxBodyBytes'),
    maxPageSize: positive('maxPageSize'),
    rateLimitPerMinute: positive('rateLimitPerMinute'),
    rateLimitStore: rateLimitStore(options.rateLimitStore),
    allowInsecureIssuer: options.allowInsecureIssuer ?? OPTION_DEFAULTS.allowInsecureIssuer.value,
    allowInsecureBaseUrl: options.allowInsecureBaseUrl ?? OPTION_DEFAULTS.allowInsecureBaseUrl.value,
    discoveryTtlMs: positive('discoveryTtlMs'),
    databaseTimeoutMs: positive('databaseTimeoutMs'),
    rateLimitWindowMs: positive('rateLimitWindowMs'),
    sqliteGroupCommit: options.sqliteGroupCommit ?? OPTION_DEFAULTS.sqliteGroupCommit.value,
    clock: options.clock ?? OPTION_DEFAULTS.clock.value,
    metrics: metricsOption(options.metrics),
  };
}
