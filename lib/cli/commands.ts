import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Knex } from 'knex';
import { IdentityStore } from '../store/index.js';
import { IdentityEvents } from '../model/events.js';
import { DEFAULT_TABLE_PREFIX } from '../store/tables.js';
import { isLoginMethod } from '../model/types.js';
import { ssoConfigured } from '../policy/login-method.js';
import { openDatabase, type Database } from './database.js';
import { ENVIRONMENT_VARIABLES, portNumber, readEnvironment } from '../runtime/environment.js';
import { packageVersion } from './version.js';
import { didYouMean } from '../model/did-you-mean.js';
import { setLoginMethod } from './set-login-method.js';
import { setProtected } from './set-protected.js';
import { renameGroup, platformGroupBody } from '../policy/groups.js';
import { entraMappingSheet, mappingSheetText } from '../model/entra-mapping-sheet.js';
import { exportEntraCsv } from './export-entra.js';
import { PRESET_NAMES } from '../model/presets.js';
import type { Policies } from '../policy/policies.js';
import { CLI_ACTOR, cliPolicies } from './cli-policies.js';

/** Where the CLI writes; tests capture it, and give stdin as a string. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin?: () => Promise<string>;
}
const consoleIo: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** A mistake on the command line: exit code 2 and a pointer to the command's help. */
class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;
interface Context {
  store: IdentityStore;
  /** The policy modules every write goes through (audited as `cli`); built on first use. */
  policies: () => Policies;
  values: Values;
  positionals: string[];
  io: Io;
  database: Database;
}

interface Command {
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  /** False only for migrate, which creates the tables the others need. */
  needsTables?: boolean;
  /** What it reads from the environment besides the database's (STORE_ENVIRONMENT), for its help. */
  environment?: readonly EnvironmentName[];
  run(ctx: Context): Promise<void>;
}

type EnvironmentName = keyof typeof ENVIRONMENT_VARIABLES | 'LOG_LEVEL';
/** Every command opens the store (withStore). */
const STORE_ENVIRONMENT: readonly EnvironmentName[] = ['DATABASE_URL', 'IDENTITY_TABLE_PREFIX'];
/** What cliRuntime reads: the server's key and settings (BASE_URL's default follows PORT), and the logger's level. */
const RUNTIME_ENVIRONMENT: readonly EnvironmentName[] = [
  'IDENTITY_SECRET_KEY',
  'IDENTITY_SECRET_KEY_FILE',
  'BASE_URL',
  'PORT',
  'MOUNT_PATH',
  'IDENTITY_ALLOW_INSECURE_ISSUER',
  'LOG_LEVEL',
];
const SERVE_ENVIRONMENT: readonly EnvironmentName[] = [...STORE_ENVIRONMENT, ...RUNTIME_ENVIRONMENT, 'TRUST_PROXY'];

const CLIENT_SECRET_ENV = 'IDENTITY_OIDC_CLIENT_SECRET' satisfies EnvironmentName;

const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    summary: 'create or update the identity tables',
    needsTables: false,
    async run({ store, io, database }) {
      const applied = await store.migrate();
      io.out(
        applied.length
          ? `applied ${applied.join(', ')} on ${database.description}`
          : `already up to date (${database.description})`,
      );
    },
  },
  'connector create': {
    usage: 'connector create --org ORG --name NAME [--preset NAME] [--settings JSON]',
    summary: `add a connector (one per Entra tenant or resource kind); presets: ${PRESET_NAMES.join(', ')}`,
    options: {
      org: { type: 'string' },
      name: { type: 'string' },
      preset: { type: 'string' },
      settings: { type: 'string' },
    },
    async run({ policies, values, io }) {
      const connector = await policies().connectors.create(
        {
          organizationId: required(values, 'org'),
          name: required(values, 'name'),
          preset: values.preset === undefined ? undefined : String(values.preset),
          settings: values.settings ? parseJson(String(values.settings), '--settings') : undefined,
        },
        CLI_ACTOR,
      );
      io.out(`created connector ${connector.id} (organization ${connector.organizationId}, name ${connector.name})`);
    },
  },
  'connector list': {
    usage: 'connector list [--json]',
    summary: 'list connectors',
    options: { json: { type: 'boolean' } },
    async run({ store, values, io }) {
      const connectors = await store.connectors.list();
      if (values.json) io.out(JSON.stringify(connectors, null, 2));
      else if (!connectors.length) io.out('no connectors: create one with `connector create --org ORG --name NAME`');
      else
        for (const c of connectors)
          io.out(
            `${c.id}  org=${c.organizationId}  name=${c.name}  sso=${ssoConfigured(c) ? 'configured' : 'off'}  groups=${c.settings.groupsEnabled ? 'on' : 'off'}`,
          );
    },
  },
  'connector settings': {
    usage: 'connector settings --connector ID [--set JSON]',
    summary: "print a connector's settings, or change some (groupsEnabled, roleMap, …) and print the result",
    options: { connector: { type: 'string' }, set: { type: 'string' } },
    async run({ store, policies, values, io }) {
      const current = await store.connectors.require(required(values, 'connector'));
      const connector =
        values.set === undefined
          ? current
          : await policies().connectors.updateSettings(current, parseJson(String(values.set), '--set'), CLI_ACTOR);
      io.out(JSON.stringify(connector.settings, null, 2));
    },
  },
  'connector set-tenant': {
    environment: RUNTIME_ENVIRONMENT,
    usage: 'connector set-tenant --connector ID (--tenant-id T | --clear)',
    summary: 'store the Entra tenant id (with or without sign-in); once set, sign-in tokens must come from that tenant',
    options: { connector: { type: 'string' }, 'tenant-id': { type: 'string' }, clear: { type: 'boolean' } },
    async run({ store, values, io }) {
      if (!values['tenant-id'] === !values.clear) throw new UsageError('give --tenant-id T or --clear');
      const { setTenant } = await import('./set-oidc.js');
      const connector = await setTenant(
        store,
        required(values, 'connector'),
        values.clear ? null : (values['tenant-id'] as string),
      );
      io.out(`connector ${connector.id}: Entra tenant id ${connector.oidc.tenantId ?? '(none)'}`);
    },
  },
  'connector set-oidc': {
    environment: [...RUNTIME_ENVIRONMENT, CLIENT_SECRET_ENV],
    usage: 'connector set-oidc --connector ID (--issuer URL | --tenant-id T) --client-id X [--client-secret-stdin]',
    summary: `configure Entra sign-in; the client secret comes from stdin or ${CLIENT_SECRET_ENV} and is stored encrypted`,
    options: {
      connector: { type: 'string' },
      issuer: { type: 'string' },
      'tenant-id': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      'client-secret': { type: 'string' },
    },
    async run({ store, values, io }) {
      if (values['client-secret'] !== undefined) {
        throw new UsageError(
          `a secret on the command line lands in shell history and in ps: pipe it with --client-secret-stdin or set ${CLIENT_SECRET_ENV}`,
        );
      }
      if (!values.issuer && !values['tenant-id']) throw new UsageError('--issuer or --tenant-id is required');
      const clientSecret = values['client-secret-stdin']
        ? (await (io.stdin ?? readStdin)()).trim()
        : readEnvironment().oidcClientSecret;
      if (!clientSecret)
        throw new UsageError(
          `the client secret is missing: pipe it with --client-secret-stdin or set ${CLIENT_SECRET_ENV}`,
        );
      // Loaded here: it brings the SSO stack, which the other commands do not need at start-up.
      const { setOidc } = await import('./set-oidc.js');
      const connector = await setOidc(store, required(values, 'connector'), {
        issuer: values.issuer as string | undefined,
        tenantId: values['tenant-id'] as string | undefined,
        clientId: required(values, 'client-id'),
        clientSecret,
      });
      io.out(
        `connector ${connector.id}: OpenID Connect issuer ${connector.oidc.issuer}, client ${connector.oidc.clientId}, client secret stored encrypted`,
      );
    },
  },
  'connector entra-mapping': {
    usage: 'connector entra-mapping --connector ID [--json]',
    summary:
      "the exact target attributes Entra's mapping editor needs (custom ones with their type, required ones, the guide's suggested sources), as tab-separated text",
    options: { connector: { type: 'string' }, json: { type: 'boolean' } },
    async run({ store, values, io }) {
      const rows = entraMappingSheet(await store.connectors.require(required(values, 'connector')));
      io.out(values.json ? JSON.stringify(rows, null, 2) : mappingSheetText(rows).trimEnd());
    },
  },
  'token create': {
    usage: 'token create --connector ID [--label TEXT] [--expires-days N]',
    summary: "issue a SCIM token for Entra's Secret Token field (printed once, on stdout)",
    options: { connector: { type: 'string' }, label: { type: 'string' }, 'expires-days': { type: 'string' } },
    async run({ store, policies, values, io }) {
      const connectorId = required(values, 'connector');
      const connector = await store.connectors.require(connectorId);
      const days = values['expires-days'] === undefined ? null : Number(values['expires-days']);
      if (days !== null && !(Number.isInteger(days) && days > 0))
        throw new UsageError('--expires-days must be a positive whole number');
      const { token, record } = await policies().tokens.create(
        connector,
        { label: values.label as string | undefined, expiresInDays: days },
        CLI_ACTOR,
      );
      io.err(
        `token ${record.id} for connector ${connectorId}${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''}. It is shown once; store it in Entra's Secret Token field now:`,
      );
      io.out(token);
    },
  },
  'token list': {
    usage: 'token list [--connector ID] [--json]',
    summary: 'list tokens: label, prefix, state, last use (never the token)',
    options: { connector: { type: 'string' }, json: { type: 'boolean' } },
    async run({ store, values, io }) {
      const tokens = await store.tokens.list(values.connector as string | undefined);
      if (values.json) io.out(JSON.stringify(tokens, null, 2));
      else if (!tokens.length) io.out('no tokens');
      else
        for (const t of tokens)
          io.out(
            `${t.id}  connector=${t.connectorId}  label=${JSON.stringify(t.label ?? '')}  prefix=${t.displayPrefix}…  ${t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date() ? 'expired' : 'live'}  created=${t.createdAt.toISOString()}  lastUsed=${t.lastUsedAt?.toISOString() ?? 'never'}`,
          );
    },
  },
  'token revoke': {
    usage: 'token revoke ID',
    summary: 'revoke a token at once',
    async run({ policies, positionals, io }) {
      if (positionals.length !== 1) throw new UsageError('token revoke takes one token id');
      const { token, revokedNow } = await policies().tokens.revoke(positionals[0], undefined, CLI_ACTOR);
      if (!revokedNow) throw new Error(`token ${token.id} was already revoked (at ${token.revokedAt?.toISOString()})`);
      io.out(`revoked token ${token.id}`);
    },
  },
  'users export-entra': {
    usage: 'users export-entra (--connector ID | --org ORG)',
    summary: "users not from Entra, as Entra's bulk-create CSV (with one-time initial passwords)",
    options: { connector: { type: 'string' }, org: { type: 'string' } },
    async run({ store, values, io }) {
      if (Boolean(values.connector) === Boolean(values.org))
        throw new UsageError('users export-entra takes --connector ID or --org ORG');
      const { csv, count } = await exportEntraCsv(
        store,
        values.connector ? { connectorId: String(values.connector) } : { organizationId: String(values.org) },
      );
      io.err(
        `${count} users; the file holds one-time initial passwords: import it in Entra (Users → Bulk operations → Bulk create), then delete it`,
      );
      io.out(csv.trimEnd());
    },
  },
  'users push-entra': {
    environment: [...RUNTIME_ENVIRONMENT, CLIENT_SECRET_ENV],
    usage: 'users push-entra --connector ID [--tenant-id T --client-id X [--client-secret-stdin]] [--json]',
    summary: `create the connector's users that Entra does not have in Entra (Microsoft Graph POST /users) and link them; as the connector's OpenID Connect application, or the one named (its secret from stdin or ${CLIENT_SECRET_ENV})`,
    options: {
      connector: { type: 'string' },
      'tenant-id': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      'client-secret': { type: 'string' },
      json: { type: 'boolean' },
    },
    async run({ store, values, io }) {
      if (values['client-secret'] !== undefined)
        throw new UsageError(
          `a secret on the command line lands in shell history and in ps: pipe it with --client-secret-stdin or set ${CLIENT_SECRET_ENV}`,
        );
      const connectorId = required(values, 'connector');
      const clientId = values['client-id'] as string | undefined;
      let clientSecret: string | undefined;
      if (clientId) {
        clientSecret = values['client-secret-stdin']
          ? (await (io.stdin ?? readStdin)()).trim()
          : readEnvironment().oidcClientSecret;
        if (!clientSecret)
          throw new UsageError(
            `--client-id needs its secret: pipe it with --client-secret-stdin or set ${CLIENT_SECRET_ENV}`,
          );
      }
      // Loaded here: it brings openid-client and the admin layer, which the other commands do not need.
      const { pushToEntra, describePushResult } = await import('./push-entra.js');
      const report = await pushToEntra(store, connectorId, {
        tenantId: values['tenant-id'] as string | undefined,
        clientId,
        clientSecret,
      });
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else for (const result of report.results) io.out(describePushResult(result));
      io.err(
        `${report.created} created, ${report.skipped} skipped, ${report.failed} failed${report.created ? '; the initial passwords are shown only now: hand them over, Entra asks for a new one at first sign-in' : ''}`,
      );
      if (report.aborted)
        throw new Error(`the push stopped (${report.aborted.notTried} users not tried): ${report.aborted.message}`);
      if (report.failed) throw new Error(`${report.failed} users were not created in Entra (see above)`);
    },
  },
  'user set-login-method': {
    usage: 'user set-login-method --connector ID --user ID|USERNAME [--force] sso|builtin',
    summary:
      'recovery: set how a user signs in (e.g. back to builtin when SSO is broken); written to the provisioning log. ' +
      'Switching to sso needs a completed sign-in through Entra first, as on the admin page; --force skips that (and the log says so)',
    options: { connector: { type: 'string' }, user: { type: 'string' }, force: { type: 'boolean' } },
    async run({ store, policies, values, positionals, io }) {
      const [method] = positionals;
      if (positionals.length !== 1 || !isLoginMethod(method))
        throw new UsageError('give the login method: sso or builtin');
      const { user, from } = await setLoginMethod(
        store,
        policies(),
        required(values, 'connector'),
        required(values, 'user'),
        method,
        values.force === true,
      );
      io.out(
        from === method
          ? `user ${user.userName} (${user.id}) already signs in with ${method}`
          : `user ${user.userName} (${user.id}): login method ${from} → ${method}`,
      );
    },
  },
  'group create': {
    usage: 'group create --connector ID --name NAME',
    summary:
      "create one of the platform's own groups (e.g. IFS Ultimo's default group, when Entra's groups are refused); written to the provisioning log",
    options: { connector: { type: 'string' }, name: { type: 'string' } },
    async run({ store, policies, values, io }) {
      const connector = await store.connectors.require(required(values, 'connector'));
      const group = await policies().groups.create(connector, platformGroupBody(required(values, 'name')), CLI_ACTOR);
      io.out(`created group ${group.id} (${group.displayName})`);
    },
  },
  'group rename': {
    usage: 'group rename --connector ID --group ID --name NAME',
    summary: 'rename a group of the connector; written to the provisioning log',
    options: { connector: { type: 'string' }, group: { type: 'string' }, name: { type: 'string' } },
    async run({ store, policies, values, io }) {
      const connector = await store.connectors.require(required(values, 'connector'));
      const group = await policies().groups.patch(
        connector,
        required(values, 'group'),
        renameGroup(required(values, 'name')),
        CLI_ACTOR,
      );
      io.out(`renamed group ${group.id} to ${group.displayName}`);
    },
  },
  'connector default-group': {
    usage: 'connector default-group --connector ID (--group ID | --none)',
    summary:
      'choose the group new users join (IFS Ultimo: "a default group which can be set in the application"), or none; written to the provisioning log',
    options: { connector: { type: 'string' }, group: { type: 'string' }, none: { type: 'boolean' } },
    async run({ store, policies, values, io }) {
      if (Boolean(values.group) === Boolean(values.none))
        throw new UsageError('connector default-group takes --group ID or --none');
      const connector = await store.connectors.require(required(values, 'connector'));
      const updated = await policies().connectors.setDefaultGroup(
        connector,
        values.none ? null : String(values.group),
        CLI_ACTOR,
      );
      io.out(`connector ${updated.id}: default group ${updated.defaultGroupId ?? 'none'}`);
    },
  },
  'group delete': {
    usage: 'group delete --connector ID --group ID',
    summary: 'delete a group of the connector (its members stay users); written to the provisioning log',
    options: { connector: { type: 'string' }, group: { type: 'string' } },
    async run({ store, policies, values, io }) {
      const connector = await store.connectors.require(required(values, 'connector'));
      const id = required(values, 'group');
      await policies().groups.delete(connector, id, CLI_ACTOR);
      io.out(`deleted group ${id}`);
    },
  },
  'user protect': protection(true),
  'user unprotect': protection(false),
};

/** `user protect` and `user unprotect`: one command body, the value it sets. */
function protection(value: boolean): Command {
  return {
    usage: `user ${value ? 'protect' : 'unprotect'} --connector ID --user ID|USERNAME`,
    summary: value
      ? "mark a user protected (e.g. an Organization Owner): Entra's updates and deletes of it answer 403; written to the provisioning log"
      : 'unmark a protected user: Entra manages it again; written to the provisioning log',
    options: { connector: { type: 'string' }, user: { type: 'string' } },
    async run({ store, policies, values, positionals, io }) {
      if (positionals.length)
        throw new UsageError(`user ${value ? 'protect' : 'unprotect'} takes no positional arguments`);
      const { user, from } = await setProtected(
        store,
        policies(),
        required(values, 'connector'),
        required(values, 'user'),
        value,
      );
      io.out(
        from === value
          ? `user ${user.userName} (${user.id}) is already ${value ? 'protected' : 'unprotected'}`
          : `user ${user.userName} (${user.id}): ${value ? 'protected' : 'no longer protected'}`,
      );
    },
  };
}

const SERVE_USAGE = 'serve [--port N]';
const SERVE_SUMMARY = 'serve SCIM, SSO and the admin page alone (MOUNT_PATH, default /identity)';

/** The binary's help text: every command with its options, as `identity-connector --help` prints it. */
export const USAGE = `Usage: identity-connector <command> [options]    (identity-connector <command> --help for one command)

Commands:
${[...Object.values(COMMANDS).map((c) => [c.usage, c.summary]), [SERVE_USAGE, SERVE_SUMMARY]]
  .map(([usage, summary]) => `  ${usage}\n      ${summary}`)
  .join('\n')}

Environment: DATABASE_URL (mysql://user:pass@host:3306/db, postgres://user:pass@host:5432/db or sqlite:PATH; default ${ENVIRONMENT_VARIABLES.DATABASE_URL.default}),
IDENTITY_TABLE_PREFIX (default ${DEFAULT_TABLE_PREFIX}), IDENTITY_SECRET_KEY or IDENTITY_SECRET_KEY_FILE, ${CLIENT_SECRET_ENV}, BASE_URL, PORT, LOG_LEVEL.`;

function args(argv: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  try {
    const parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    // Node's own text for this one ends in an unbalanced quote; say it plainly, with the nearest flag.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    if (!unknown) throw new UsageError((error as Error).message);
    const flags = Object.keys(all).map((name) => `--${name}`);
    throw new UsageError(`unknown option "${unknown[1]}"${didYouMean(unknown[1], flags)}`);
  }
}

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} must be JSON, e.g. '{"groupsEnabled": false}'`);
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

function helpFor(command: Pick<Command, 'usage' | 'summary' | 'environment'>): string {
  return `Usage: identity-connector ${command.usage}\n\n${command.summary}\n\n${environmentHelp([
    ...STORE_ENVIRONMENT,
    ...(command.environment ?? []),
  ])}`;
}

/** The variables a command reads, each with its meaning and default, from the one list (runtime/environment.ts). */
function environmentHelp(names: readonly EnvironmentName[]): string {
  const lines = [...new Set(names)].map((name) => {
    const { description, default: fallback } =
      name === 'LOG_LEVEL'
        ? { description: 'error, warn, info (one line per request) or debug.', default: 'warn' }
        : ENVIRONMENT_VARIABLES[name];
    const text = description.replaceAll('`', '') + (fallback === undefined ? '' : ` Default: ${fallback}.`);
    return `  ${name.padEnd(31)} ${text}`;
  });
  return `Environment:\n${lines.join('\n')}`;
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], io: Io = consoleIo): Promise<number> {
  const [first, second] = argv;
  let name: string = first;
  if (first === '--version' || first === '-v') {
    io.out(packageVersion());
    return 0;
  }
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    (first ? io.out : io.err)(USAGE);
    return first ? 0 : 2;
  }
  try {
    if (first === 'serve') {
      const { values } = args(argv.slice(1), { port: { type: 'string' } });
      if (values.help) {
        io.out(helpFor({ usage: SERVE_USAGE, summary: SERVE_SUMMARY, environment: SERVE_ENVIRONMENT }));
        return 0;
      }
      let port: number | undefined;
      try {
        port = values.port === undefined ? undefined : portNumber(String(values.port), '--port');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      // Loaded here: Express and the whole router, which the other commands do not need.
      const { serve } = await import('./serve.js');
      await serve({ port, io });
      return 0;
    }
    name = COMMANDS[first] ? first : `${first} ${second ?? ''}`.trim();
    const command = COMMANDS[name];
    if (!command) {
      const group = Object.entries(COMMANDS).filter(([key]) => key.startsWith(`${first} `));
      if (group.length && (!second || second === '--help' || second === '-h')) {
        const commands = group.map(([, c]) => `Usage: identity-connector ${c.usage}\n\n${c.summary}`);
        io.out(
          [...commands, environmentHelp([...STORE_ENVIRONMENT, ...group.flatMap(([, c]) => c.environment ?? [])])].join(
            '\n\n',
          ),
        );
        return second ? 0 : 2;
      }
      const names = [...Object.keys(COMMANDS), 'serve'];
      throw new UsageError(`unknown command "${name}"${didYouMean(name, names)}`);
    }
    const { values, positionals } = args(argv.slice(name.split(' ').length), command.options ?? {});
    if (values.help) {
      io.out(helpFor(command));
      return 0;
    }
    return await withStore(command.needsTables ?? true, io, async (store, database) => {
      let built: Policies | undefined;
      const policies = () => (built ??= cliPolicies(store));
      await command.run({ store, policies, values, positionals, io, database });
      return 0;
    });
  } catch (error) {
    return report(error, io, COMMANDS[name] || name === 'serve' ? name : undefined);
  }
}

async function withStore(
  needsTables: boolean,
  io: Io,
  fn: (store: IdentityStore, database: Database) => Promise<number>,
): Promise<number> {
  const prefix = readEnvironment().tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const database = await openDatabase({ create: !needsTables, prefix, note: io.err });
  const knex: Knex = database.knex;
  try {
    return await fn(new IdentityStore(knex, prefix, new IdentityEvents()), database);
  } finally {
    await knex.destroy();
  }
}

/** One line on stderr, never a stack trace: the operator reads it, not a developer. */
function report(error: unknown, io: Io, command: string | undefined): number {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (error instanceof UsageError) {
    io.err(`error: ${message} (see identity-connector ${command ? `${command} ` : ''}--help)`);
    return 2;
  }
  io.err(`error: ${message}`);
  return 1;
}
