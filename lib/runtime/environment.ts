import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_TABLE_PREFIX } from '../store/tables.js';

/**
 * Every environment variable the connector's own programs read (the CLI, `serve`, the knexfile and the
 * demo host), with its default and meaning, in one place. The library itself reads none of them: a host
 * passes options to `createIdentityConnector` (LOG_LEVEL, read by the default logger, is the one exception).
 */
export const ENVIRONMENT_VARIABLES = {
  DATABASE_URL: {
    default: 'sqlite:./data/app.sqlite',
    description:
      'The identity store: `mysql://user:password@host:3306/database`, `postgres://user:password@host:5432/database`' +
      ' or `sqlite:PATH` (`sqlite://PATH` too; a relative PATH is taken from the working folder).',
  },
  PORT: { default: '3000', description: 'The port `serve` and the demo listen on.' },
  BASE_URL: {
    default: 'http://localhost:$PORT',
    description: 'The public origin in front of the connector (redirect URIs and SCIM URLs are built from it).',
  },
  MOUNT_PATH: { default: '/identity', description: "Where `serve` mounts the connector's router." },
  IDENTITY_TABLE_PREFIX: { default: DEFAULT_TABLE_PREFIX, description: "The prefix of the connector's tables." },
  IDENTITY_SECRET_KEY: { default: undefined, description: 'The key that encrypts client secrets and signs cookies.' },
  IDENTITY_SECRET_KEY_FILE: {
    default: './data/secret.key',
    description: 'For local use without IDENTITY_SECRET_KEY: a key kept in this file, created on first use (0600).',
  },
  IDENTITY_ALLOW_INSECURE_ISSUER: { default: 'false', description: 'Accept an http:// OpenID issuer (tests, demos).' },
  IDENTITY_OIDC_CLIENT_SECRET: {
    default: undefined,
    description:
      'The client secret for `connector set-oidc` and `users push-entra --client-id`, when not piped to standard input.',
  },
  SCIM_BOOTSTRAP_TOKEN: { default: undefined, description: 'The demo: accept this SCIM token instead of issuing one.' },
  DEMO_ADMIN_PASSWORD: {
    default: undefined,
    description: "The demo: the built-in admin's first password (else random).",
  },
  DEMO_METRICS: {
    default: 'true',
    description: 'The demo: Prometheus metrics (options.metrics) served at /metrics; `false` leaves prom-client out.',
  },
  IDENTITY_SQLITE_GROUP_COMMIT: {
    default: 'false',
    description: '`serve` and the demo on SQLite: concurrent writes share one commit (option `sqliteGroupCommit`).',
  },
  TRUST_PROXY: { default: 'false', description: 'Let `serve` trust X-Forwarded-* from a reverse proxy.' },
} as const satisfies Record<string, { default: string | undefined; description: string }>;

/** The settings the connector's programs take from the environment, decided once (defaults applied). */
export interface Environment {
  /** DATABASE_URL, or the local SQLite file when it is unset. */
  databaseUrl: string;
  /** Whether DATABASE_URL was set (the knexfile requires it; the CLI says when it falls back). */
  databaseUrlGiven: boolean;
  /** PORT (default 3000); reading it throws when PORT is not a port number. */
  readonly port: number;
  /** BASE_URL, else `http://localhost:$PORT`; reading it throws when BASE_URL is not an http(s) origin. */
  readonly baseUrl: string;
  mountPath: string;
  /** IDENTITY_TABLE_PREFIX; undefined means the store's default. */
  tablePrefix: string | undefined;
  allowInsecureIssuer: boolean;
  /** IDENTITY_SQLITE_GROUP_COMMIT: on with `1`, `true` or `yes`; off otherwise (the option's default). */
  sqliteGroupCommit: boolean;
  trustProxy: boolean;
  /** IDENTITY_OIDC_CLIENT_SECRET. */
  oidcClientSecret: string | undefined;
  /** SCIM_BOOTSTRAP_TOKEN (the demo). */
  scimBootstrapToken: string | undefined;
  /** DEMO_ADMIN_PASSWORD (the demo). */
  demoAdminPassword: string | undefined;
  /** DEMO_METRICS (the demo): on unless set to something other than `1`, `true` or `yes`. */
  demoMetrics: boolean;
  /**
   * IDENTITY_SECRET_KEY, or the key kept in IDENTITY_SECRET_KEY_FILE; with `create`, a new key is written
   * to that file when there is none. Undefined when neither exists and `create` is false.
   */
  secretKey(options: { create: boolean }): string | undefined;
}

/**
 * Reads the environment once: the CLI, `serve`, the knexfile and the demo all call this, so a variable has
 * one name, one default and one parse.
 *
 * For example, `readEnvironment({ PORT: '8080' }).baseUrl` is `http://localhost:8080`.
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  // Read when asked for: a PORT the knexfile never uses must not stop a migration.
  const port = () => portNumber(env.PORT || ENVIRONMENT_VARIABLES.PORT.default, 'PORT');
  return {
    databaseUrl: env.DATABASE_URL || ENVIRONMENT_VARIABLES.DATABASE_URL.default,
    databaseUrlGiven: Boolean(env.DATABASE_URL),
    get port() {
      return port();
    },
    get baseUrl() {
      return env.BASE_URL ? httpOrigin(env.BASE_URL, 'BASE_URL') : `http://localhost:${port()}`;
    },
    mountPath: env.MOUNT_PATH ?? ENVIRONMENT_VARIABLES.MOUNT_PATH.default,
    tablePrefix: env.IDENTITY_TABLE_PREFIX || undefined,
    allowInsecureIssuer: truthy(env.IDENTITY_ALLOW_INSECURE_ISSUER),
    sqliteGroupCommit: truthy(env.IDENTITY_SQLITE_GROUP_COMMIT),
    trustProxy: truthy(env.TRUST_PROXY),
    oidcClientSecret: env.IDENTITY_OIDC_CLIENT_SECRET || undefined,
    scimBootstrapToken: env.SCIM_BOOTSTRAP_TOKEN || undefined,
    demoAdminPassword: env.DEMO_ADMIN_PASSWORD || undefined,
    demoMetrics: truthy(env.DEMO_METRICS || ENVIRONMENT_VARIABLES.DEMO_METRICS.default),
    secretKey: ({ create }) => secretKey(env, create),
  };
}

/** A port as typed (PORT, `--port`): a whole number from 0 to 65535, else an error naming `name` and the value. */
export function portNumber(value: string, name: string): number {
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`${name} must be a port number from 0 to 65535 (got "${value}")`);
  return port;
}

/** An http(s) origin as typed (BASE_URL): scheme, host and port, no path, else an error naming `name` and the value. */
export function httpOrigin(value: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username)
    throw new Error(
      `${name} must be an http(s) origin such as https://app.example.com, without a path (got "${value}")`,
    );
  return value.replace(/\/$/, '');
}

/** `1`, `true` and `yes` turn a switch on; anything else (or nothing) leaves it off. */
export function truthy(value: string | undefined): boolean {
  return value === '1' || value === 'true' || value === 'yes';
}

function secretKey(env: NodeJS.ProcessEnv, create: boolean): string | undefined {
  if (env.IDENTITY_SECRET_KEY) return env.IDENTITY_SECRET_KEY;
  const file = env.IDENTITY_SECRET_KEY_FILE || ENVIRONMENT_VARIABLES.IDENTITY_SECRET_KEY_FILE.default;
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  if (!create) return undefined;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const key = randomBytes(48).toString('base64url');
  // Written whole under another name, then linked into place (link fails if the file exists): processes
  // started together all end up with the one key that won, never each their own or a half-written one.
  const written = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(written, key + '\n', { mode: 0o600 });
  try {
    fs.linkSync(written, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFileSync(file, 'utf8').trim();
  } finally {
    fs.rmSync(written, { force: true });
  }
}
