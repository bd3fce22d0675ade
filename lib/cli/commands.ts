import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Knex } from 'knex';
import { connectKnex, redactUrl } from '../store/connect.js';
import { IdentityStore } from '../store/index.js';
import { isStoreError } from '../store/errors.js';
import { IdentityEvents } from '../model/events.js';
import { DEFAULT_TABLE_PREFIX } from '../store/tables.js';
import { PRESET_NAMES } from '../model/presets.js';
import { SettingsError } from '../model/settings.js';
import { databaseUrl, tablePrefix } from './environment.js';
import { serve } from './serve.js';
import { exportEntraCsv } from './export-entra.js';
import { setOidc } from './set-oidc.js';

export const USAGE = `Usage: identity-connector <command> [options]

Commands:
  migrate                                         apply the identity tables' migrations
  connector create --org ORG --name NAME [--preset NAME] [--settings JSON]
      presets: ${PRESET_NAMES.join(', ')}
  connector list [--json]
  connector settings --connector ID --set JSON    change settings (groupsEnabled, roleMap, …)
  connector set-oidc --connector ID (--issuer URL | --tenant-id T) --client-id X --client-secret Y
  token create --connector ID [--label TEXT] [--expires-days N]   prints the token once
  token list [--connector ID] [--json]
  token revoke ID
  users export-entra (--connector ID | --org ORG)  users not from Entra, as Entra's bulk-create CSV (with one-time passwords)
  serve [--port N]                                serve the connector alone (SCIM, SSO, admin)

Environment: DATABASE_URL (mysql://user:pass@host:3306/db or sqlite:PATH; default sqlite:./data/identity.sqlite),
IDENTITY_TABLE_PREFIX (default ${DEFAULT_TABLE_PREFIX}), IDENTITY_SECRET_KEY, BASE_URL, PORT.`;

class UsageError extends Error {}

type Io = { out: (line: string) => void; err: (line: string) => void };
const consoleIo: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

type Values = Record<string, string | boolean | undefined>;

function args(argv: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parseJson(text: string, what: string): unknown {
  try { return JSON.parse(text); } catch { throw new UsageError(`${what} must be JSON, e.g. '{"groupsEnabled": false}'`); }
}

/** Runs one CLI command; returns the exit code. Output goes to `io` (tests capture it). */
export async function runCli(argv: string[], io: Io = consoleIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    (command ? io.out : io.err)(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'serve') {
    try {
      const { values } = args([sub, ...rest].filter((a) => a !== undefined), { port: { type: 'string' } });
      await serve({ port: values.port ? Number(values.port) : undefined, io });
      return 0;
    } catch (error) {
      return report(error, io);
    }
  }
  let knex: Knex | undefined;
  try {
    knex = connectKnex(databaseUrl());
    const store = new IdentityStore(knex, tablePrefix() ?? DEFAULT_TABLE_PREFIX, new IdentityEvents());
    return await dispatch(store, command, sub, rest, io);
  } catch (error) {
    return report(error, io);
  } finally {
    await knex?.destroy();
  }
}

async function dispatch(store: IdentityStore, command: string, sub: string | undefined, rest: string[], io: Io): Promise<number> {
  const key = command === 'migrate' ? 'migrate' : `${command} ${sub ?? ''}`.trim();
  const argv = command === 'migrate' ? [sub, ...rest].filter((a): a is string => a !== undefined) : rest;
  switch (key) {
    case 'migrate': {
      args(argv, {});
      const applied = await store.migrate();
      io.out(applied.length ? `applied ${applied.join(', ')} on ${redactUrl(databaseUrl())}` : `already up to date (${redactUrl(databaseUrl())})`);
      return 0;
    }
    case 'connector create': {
      const { values } = args(argv, { org: { type: 'string' }, name: { type: 'string' }, preset: { type: 'string' }, settings: { type: 'string' } });
      const connector = await store.connectors.create({
        organizationId: required(values, 'org'),
        name: required(values, 'name'),
        preset: values.preset === undefined ? undefined : String(values.preset),
        settings: values.settings ? parseJson(String(values.settings), '--settings') : undefined,
      });
      io.out(`created connector ${connector.id} (organization ${connector.organizationId}, name ${connector.name})`);
      return 0;
    }
    case 'connector list': {
      const { values } = args(argv, { json: { type: 'boolean' } });
      const connectors = await store.connectors.list();
      if (values.json) io.out(JSON.stringify(connectors, null, 2));
      else if (!connectors.length) io.out('no connectors: create one with `connector create --org ORG --name NAME`');
      else for (const c of connectors) io.out(`${c.id}  org=${c.organizationId}  name=${c.name}  sso=${c.oidc.issuer ? 'configured' : 'off'}  groups=${c.settings.groupsEnabled ? 'on' : 'off'}`);
      return 0;
    }
    case 'connector settings': {
      const { values } = args(argv, { connector: { type: 'string' }, set: { type: 'string' } });
      const connector = await store.connectors.updateSettings(required(values, 'connector'), parseJson(required(values, 'set'), '--set'));
      io.out(JSON.stringify(connector.settings, null, 2));
      return 0;
    }
    case 'connector set-oidc': {
      const { values } = args(argv, { connector: { type: 'string' }, issuer: { type: 'string' }, 'tenant-id': { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' } });
      if (!values.issuer && !values['tenant-id']) throw new UsageError('--issuer or --tenant-id is required');
      const connector = await setOidc(store, required(values, 'connector'), {
        issuer: values.issuer as string | undefined,
        tenantId: values['tenant-id'] as string | undefined,
        clientId: required(values, 'client-id'),
        clientSecret: required(values, 'client-secret'),
      });
      io.out(`connector ${connector.id}: OpenID Connect issuer ${connector.oidc.issuer}, client ${connector.oidc.clientId}, client secret stored encrypted`);
      return 0;
    }
    case 'token create': {
      const { values } = args(argv, { connector: { type: 'string' }, label: { type: 'string' }, 'expires-days': { type: 'string' } });
      const connectorId = required(values, 'connector');
      await store.connectors.require(connectorId);
      const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
      if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new UsageError('--expires-days must be a positive whole number');
      const { token, record } = await store.tokens.create(connectorId, {
        label: values.label as string | undefined,
        expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
      });
      io.err(`token ${record.id} for connector ${connectorId}${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''}. It is shown once; store it in Entra's Secret Token field now:`);
      io.out(token);
      return 0;
    }
    case 'token list': {
      const { values } = args(argv, { connector: { type: 'string' }, json: { type: 'boolean' } });
      const tokens = await store.tokens.list(values.connector as string | undefined);
      if (values.json) io.out(JSON.stringify(tokens, null, 2));
      else if (!tokens.length) io.out('no tokens');
      else for (const t of tokens) io.out(`${t.id}  connector=${t.connectorId}  prefix=${t.displayPrefix}…  ${t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date() ? 'expired' : 'live'}  created=${t.createdAt.toISOString()}  lastUsed=${t.lastUsedAt?.toISOString() ?? 'never'}`);
      return 0;
    }
    case 'token revoke': {
      const { positionals } = args(argv, {});
      if (positionals.length !== 1) throw new UsageError('token revoke takes one token id');
      const token = await store.tokens.revoke(positionals[0]);
      io.out(`revoked token ${token.id}`);
      return 0;
    }
    case 'users export-entra': {
      const { values } = args(argv, { connector: { type: 'string' }, org: { type: 'string' } });
      if (Boolean(values.connector) === Boolean(values.org)) throw new UsageError('users export-entra takes --connector ID or --org ORG');
      const { csv, count } = await exportEntraCsv(store, values.connector ? { connectorId: String(values.connector) } : { organizationId: String(values.org) });
      io.err(`${count} users; the file holds one-time initial passwords: import it in Entra (Users → Bulk operations → Bulk create), then delete it`);
      io.out(csv.trimEnd());
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${key}"`);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (isStoreError(error) || error instanceof SettingsError || (error as Error)?.name === 'OidcSettingsError' || (error as Error)?.name === 'OptionsError') {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
  const code = (error as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_BAD_DB_ERROR') {
    io.err(`error: cannot reach the database at ${redactUrl(databaseUrl())} (${code}); check DATABASE_URL`);
    return 1;
  }
  if (/no such table|doesn't exist/i.test(String((error as Error)?.message))) {
    io.err('error: the identity tables do not exist yet; run `identity-connector migrate` first');
    return 1;
  }
  io.err(`error: ${(error as Error)?.message ?? String(error)}`);
  return 1;
}
