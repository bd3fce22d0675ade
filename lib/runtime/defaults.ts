import { DEFAULT_TABLE_PREFIX } from '../store/tables.js';
import { RATE_LIMIT_WINDOW_MS } from '../model/limits.js';
import type { IdentityConnectorOptions } from './options.js';

/**
 * One option of `createIdentityConnector`, documented: its default `value` (undefined when a host must give it,
 * or when leaving it out turns a feature off), how the README's options table shows that default, and what the
 * option does.
 */
export interface OptionDefault<T> {
  /** What `resolveOptions` uses when the host leaves the option out. */
  value: T;
  /** The default as the README's options table spells it ("required" when the host must give the option). */
  shown: string;
  /** What the option decides. */
  description: string;
}

const option = <T>(value: T, shown: string, description: string): OptionDefault<T> => ({ value, shown, description });

/**
 * Every option of `createIdentityConnector` with its default, in the manner of node-oidc-provider's
 * `lib/helpers/defaults.js`: `resolveOptions` takes its defaults from here, and a test checks the README's
 * options table against it (names and defaults). To add an option: its interface field, an entry here, a row there.
 */
export const OPTION_DEFAULTS = {
  knex: option(undefined, 'required', "The host's Knex instance (mysql2 or better-sqlite3)."),
  baseUrl: option(undefined, 'required', 'The public origin; SCIM locations and the OIDC redirect URI derive from it.'),
  mountPath: option(undefined, 'required', 'Where the host mounts `identity.router`, e.g. `/identity`.'),
  secretKey: option(
    undefined,
    'required',
    'At least 32 characters, or a list to rotate: encrypts client secrets, signs cookies.',
  ),
  logger: option(undefined, 'console JSON at `LOG_LEVEL`', 'A winston logger; a quiet console JSON logger otherwise.'),
  tablePrefix: option(DEFAULT_TABLE_PREFIX, '`idc_`', 'The prefix of every table the connector creates.'),
  authorizeAdmin: option(
    undefined,
    'by web role (`identity.adminFromWebRole`)',
    'Who may use /admin, and over which organizations.',
  ),
  signIn: option(
    undefined,
    "express-session's `req.session.identity`",
    'Establishes the host session for a user who signed in through Entra.',
  ),
  signOut: option(undefined, "express-session's `req.session.identity`", 'Ends the host session.'),
  currentUser: option(
    undefined,
    '`req.session.identity`',
    "The signed-in user's ids, for requireWebRole, the admin page and identity.currentUser.",
  ),
  passwordLoginPath: option(null, '—', "The host's password page, where home-realm discovery sends builtin users."),
  appRedirectUris: option(
    [] as readonly string[],
    '`[]`',
    "The apps' redirect URIs (RFC 8252); empty turns app sign-in off.",
  ),
  signInApp: option(undefined, '—', "Issues an app's session when it redeems its sign-in code."),
  maxBodyBytes: option(1024 * 1024, '1 MB', 'The largest SCIM request body; larger ones answer 413.'),
  maxPageSize: option(200, '200', 'The largest page a list returns (`count` is capped to it).'),
  rateLimitPerMinute: option(1200, '1200', 'SCIM requests per token per minute; over it, 429 with Retry-After.'),
  rateLimitStore: option('database' as const, "`'database'`", 'Where the rate limits count, shared by every instance.'),
  allowInsecureIssuer: option(false, 'false', 'Accept http:// OIDC issuers: local testing only, logged loudly.'),
  allowInsecureBaseUrl: option(false, 'false', 'Accept an http:// baseUrl that is not this machine.'),
  discoveryTtlMs: option(60 * 60 * 1000, '1 h', 'How long an OIDC discovery document is cached per connector.'),
  databaseTimeoutMs: option(5000, '5 s', 'A SCIM request still waiting on the database this long answers 503.'),
  rateLimitWindowMs: option(RATE_LIMIT_WINDOW_MS, '60 s', 'The window the rate limits count over.'),
  // Off by default: on a quiet machine it cut write CPU (initial cycle −16 %, PATCH "False" −25 %) but cost DELETE
  // 28 % of its req/s at concurrency 8 and lookups 0.1–0.16 ms CPU each (issue 22's note), so a host opts in.
  sqliteGroupCommit: option(
    false,
    'false',
    'On SQLite, writes that arrive together share one commit, each after the first in its own SAVEPOINT (opt-in).',
  ),
  clock: option<() => number>(Date.now, '`Date.now`', "The time the rate limits' windows are read by (for tests)."),
  metrics: option(
    undefined,
    '— (off: prom-client is never loaded)',
    "Prometheus metrics per connector in the host's prom-client registry: `{ registry }`.",
  ),
} satisfies Record<keyof IdentityConnectorOptions, OptionDefault<unknown>>;
