import { expect } from 'chai';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../lib/cli/commands.js';
import { connectKnex } from '../../lib/store/connect.js';
import { IdentityStore } from '../../lib/store/index.js';
import { IdentityEvents } from '../../lib/model/events.js';

describe('identity-connector CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-cli-'));
  const saved = { ...process.env };
  before(() => {
    process.env.DATABASE_URL = `sqlite:${path.join(dir, 'cli.sqlite')}`;
    process.env.IDENTITY_SECRET_KEY = 'cli-test-secret-key-0123456789abcdefghij';
  });
  after(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]) {
    return runWithStdin(undefined, ...argv);
  }
  async function runWithStdin(stdin: string | undefined, ...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      stdin: stdin === undefined ? undefined : async () => stdin,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  let connectorId: string;
  it('migrate applies the migrations, then says it is up to date', async () => {
    expect((await run('migrate')).out).to.match(/applied 20261123000000_identity_schema/);
    expect((await run('migrate')).out).to.match(/already up to date/);
  });
  it('connector create, then connector list --json for scripts', async () => {
    const created = await run('connector', 'create', '--org', 'acme', '--name', 'Entra ID');
    expect(created.code).to.equal(0);
    const list = JSON.parse((await run('connector', 'list', '--json')).out);
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ organizationId: 'acme', name: 'Entra ID' });
    connectorId = list[0].id;
  });
  it('token create prints the token once on stdout; token list shows its label and only its prefix', async () => {
    const created = await run('token', 'create', '--connector', connectorId, '--label', 'entra');
    expect(created.code).to.equal(0);
    expect(created.out).to.match(/^idc_[A-Za-z0-9_-]{43}$/);
    const listed = await run('token', 'list');
    expect(listed.out).to.include(created.out.slice(0, 8)).and.not.include(created.out);
    expect(listed.out).to.include('label="entra"');
    const id = listed.out.split(/\s+/)[0];
    expect((await run('token', 'revoke', id)).out).to.equal(`revoked token ${id}`);
    expect((await run('token', 'list')).out).to.include('revoked');
  });
  it('connector settings prints the current settings, changes a setting and refuses an unknown one', async () => {
    expect(JSON.parse((await run('connector', 'settings', '--connector', connectorId)).out)).to.include({
      groupsEnabled: true,
    });
    expect(
      (await run('connector', 'settings', '--connector', connectorId, '--set', '{"groupsEnabled": false}')).code,
    ).to.equal(0);
    expect(JSON.parse((await run('connector', 'settings', '--connector', connectorId)).out)).to.include({
      groupsEnabled: false,
    });
    const bad = await run('connector', 'settings', '--connector', connectorId, '--set', '{"nope": 1}');
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/unknown setting "nope"/);
  });
  describe('connector set-oidc keeps the client secret off the command line', () => {
    const oidc = () => [
      'connector',
      'set-oidc',
      '--connector',
      connectorId,
      '--tenant-id',
      '72f988bf-86f1-41af-91ab-2d7cd011db47',
      '--client-id',
      'app-id',
    ];
    it('reads it from stdin with --client-secret-stdin', async () => {
      const result = await runWithStdin('from-stdin-secret\n', ...oidc(), '--client-secret-stdin');
      expect(result.code, result.err).to.equal(0);
      expect(result.out)
        .to.match(/client secret stored encrypted/)
        .and.not.include('from-stdin-secret');
    });
    it('or from IDENTITY_OIDC_CLIENT_SECRET', async () => {
      process.env.IDENTITY_OIDC_CLIENT_SECRET = 'from-env-secret';
      try {
        expect((await run(...oidc())).code).to.equal(0);
      } finally {
        delete process.env.IDENTITY_OIDC_CLIENT_SECRET;
      }
    });
    it('and refuses --client-secret VALUE, saying why', async () => {
      const result = await run(...oidc(), '--client-secret', 'visible');
      expect(result.code).to.equal(2);
      expect(result.err).to.match(/shell history/);
    });
  });

  describe('user set-login-method, the recovery when a user cannot sign in', () => {
    let store: IdentityStore;
    let knex: ReturnType<typeof connectKnex>;
    before(() => {
      knex = connectKnex(process.env.DATABASE_URL!);
      store = new IdentityStore(knex, 'idc_', new IdentityEvents());
    });
    after(() => knex.destroy());

    it("sets a user's login method by userName or id and writes the provisioning log with actor cli", async () => {
      const user = await store.users.create(connectorId, {
        document: { userName: 'locked.out@contoso.com' },
        loginMethod: 'builtin',
      });
      // As on the admin page: SSO is configured (set-oidc above) but no sign-in through Entra has completed yet.
      const unverified = await run(
        'user',
        'set-login-method',
        '--connector',
        connectorId,
        '--user',
        'LOCKED.OUT@contoso.com',
        'sso',
      );
      expect(unverified.code).to.equal(1);
      expect(unverified.err).to.match(/nobody has signed in through Entra/);
      const toSso = await run(
        'user',
        'set-login-method',
        '--connector',
        connectorId,
        '--user',
        'LOCKED.OUT@contoso.com',
        '--force',
        'sso',
      );
      expect(toSso.code, toSso.err).to.equal(0);
      expect(toSso.out).to.match(/login method builtin → sso/);
      expect(
        (await run('user', 'set-login-method', '--connector', connectorId, '--user', user.id, 'builtin')).out,
      ).to.match(/sso → builtin/);
      expect((await store.users.get(connectorId, user.id))!.loginMethod).to.equal('builtin');
      const log = await store.audit.list(connectorId, { operation: 'user.login-method' });
      expect(log.map((e) => [e.actor, e.outcome, e.resourceId, JSON.parse(e.detail!)])).to.deep.include.members([
        ['cli', 'failure', user.id, { from: 'builtin', to: 'sso', reason: 'sso_unverified' }],
        ['cli', 'success', user.id, { loginMethod: { from: 'builtin', to: 'sso' }, forced: 'sso_unverified' }],
        ['cli', 'success', user.id, { loginMethod: { from: 'sso', to: 'builtin' } }],
      ]);
    });
    it('refuses sso on a connector without OpenID Connect, which would lock the user out', async () => {
      const other = /created connector (\S+)/.exec(
        (await run('connector', 'create', '--org', 'acme', '--name', 'no-sso')).out,
      )![1];
      await store.users.create(other, { document: { userName: 'pat@contoso.com' }, loginMethod: 'builtin' });
      const result = await run('user', 'set-login-method', '--connector', other, '--user', 'pat@contoso.com', 'sso');
      expect(result.code).to.equal(1);
      expect(result.err).to.match(/^error: connector \S+ has no OpenID Connect settings/);
    });
    it('names an unknown user', async () => {
      expect(
        (await run('user', 'set-login-method', '--connector', connectorId, '--user', 'nobody', 'builtin')).err,
      ).to.match(/no user with id or userName "nobody"/);
    });
  });

  describe('help and version', () => {
    it('--version prints the package version', async () => {
      const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
      expect(await run('--version')).to.include({ code: 0, out: version });
    });
    it("--help after a command prints that command's usage; after a group, the group's commands", async () => {
      expect(await run('token', 'create', '--help'))
        .to.include({ code: 0 })
        .and.property('out')
        .match(/^Usage: identity-connector token create --connector ID/);
      const group = await run('connector', '--help');
      expect(group.code).to.equal(0);
      expect(group.out)
        .to.include('connector create')
        .and.include('connector settings')
        .and.include('connector set-oidc');
      expect((await run('serve', '--help')).out).to.match(/identity-connector serve \[--port N\]/);
    });
  });

  describe('a database it cannot use is named, in one line', () => {
    const elsewhere = path.join(dir, 'elsewhere');
    const withUrl = async (url: string | undefined, ...argv: string[]) => {
      const saved = process.env.DATABASE_URL;
      if (url === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = url;
      try {
        return await run(...argv);
      } finally {
        process.env.DATABASE_URL = saved;
      }
    };
    it('a missing SQLite file is not created by a command that needs tables', async () => {
      const file = path.join(elsewhere, 'missing.sqlite');
      const result = await withUrl(`sqlite:${file}`, 'connector', 'list');
      expect(result.err).to.equal(
        `error: no database at ${file}: run \`identity-connector migrate\` to create it, or set DATABASE_URL`,
      );
      expect(fs.existsSync(file)).to.equal(false);
    });
    it('an unmigrated database is named with the table prefix', async () => {
      const file = path.join(dir, 'empty.sqlite');
      fs.writeFileSync(file, '');
      const result = await withUrl(`sqlite:${file}`, 'token', 'list');
      expect(result.code).to.equal(1);
      expect(result.err).to.equal(
        `error: the identity tables (prefix idc_) are not in sqlite:${file}: run \`identity-connector migrate\` first`,
      );
    });
    it('without DATABASE_URL it says which default it uses, and migrate says it creates the file', async () => {
      const cwd = process.cwd();
      fs.mkdirSync(elsewhere, { recursive: true });
      process.chdir(elsewhere);
      try {
        const listed = await withUrl(undefined, 'connector', 'list');
        expect(listed.err).to.include(
          `DATABASE_URL is not set: using sqlite:${path.join(fs.realpathSync(elsewhere), 'data/app.sqlite')}`,
        );
        expect(fs.existsSync('data/app.sqlite')).to.equal(false);
        const migrated = await withUrl(undefined, 'migrate');
        expect(migrated.err).to.include('creating the SQLite database');
        expect(fs.existsSync('data/app.sqlite')).to.equal(true);
      } finally {
        process.chdir(cwd);
      }
    });
    it('serve on a port in use: one line, exit 1', async () => {
      const busy = net.createServer();
      await new Promise<void>((resolve) => busy.listen(0, resolve));
      try {
        const result = await run('serve', '--port', String((busy.address() as net.AddressInfo).port));
        expect(result.code).to.equal(1);
        expect(result.err).to.match(/^error: listen EADDRINUSE: address already in use \S+$/);
      } finally {
        busy.close();
      }
    });
    if (process.env.TEST_MYSQL_URL) {
      it('[mariadb] a wrong password: one line naming the database, password hidden, no stack trace', async () => {
        const url = new URL(process.env.TEST_MYSQL_URL!);
        url.password = 'wrong-password';
        const result = await withUrl(url.href, 'connector', 'list');
        expect(result.code).to.equal(1);
        expect(result.err.split('\n')).to.have.length(1);
        expect(result.err).to.match(
          /^error: cannot use the database at mysql:\/\/root:\*\*\*@127\.0\.0\.1:3306\/\S+: Access denied/,
        );
      });
    }
    if (process.env.TEST_PG_URL) {
      it('[postgres] a database that does not exist: one line naming it, password hidden, no stack trace', async () => {
        const url = new URL(process.env.TEST_PG_URL!);
        url.password = 'secret-password';
        url.pathname = '/idc_no_such_database';
        const result = await withUrl(url.href, 'connector', 'list');
        expect(result.code).to.equal(1);
        expect(result.err.split('\n')).to.have.length(1);
        expect(result.err).to.match(
          /^error: cannot use the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/idc_no_such_database: .*does not exist/,
        );
      });
    }
  });

  describe('the edges an operator hits', () => {
    it('revoking a token twice: the second says it was already revoked, exit 1, and logs nothing more', async () => {
      expect((await run('token', 'create', '--connector', connectorId, '--label', 'twice')).code).to.equal(0);
      const tokens = JSON.parse((await run('token', 'list', '--json')).out) as Array<{ id: string; label: string }>;
      const { id } = tokens.find((t) => t.label === 'twice')!;
      expect(await run('token', 'revoke', id)).to.include({ code: 0, out: `revoked token ${id}` });
      const again = await run('token', 'revoke', id);
      expect(again.code).to.equal(1);
      expect(again.err).to.match(new RegExp(`^error: token ${id} was already revoked \\(at \\d{4}-\\d\\d-\\d\\dT`));
      const knex = connectKnex(process.env.DATABASE_URL!);
      try {
        const log = await new IdentityStore(knex, 'idc_', new IdentityEvents()).audit.list(connectorId, {
          operation: 'token.revoke',
          limit: 50,
        });
        expect(log.filter((e) => e.resourceId === id)).to.have.length(1);
      } finally {
        await knex.destroy();
      }
    });

    for (const [argv, message] of [
      [
        ['serve', '--port', 'abc'],
        'error: --port must be a port number from 0 to 65535 (got "abc") (see identity-connector serve --help)',
      ],
      [
        ['serve', '--port', '65536'],
        'error: --port must be a port number from 0 to 65535 (got "65536") (see identity-connector serve --help)',
      ],
      [
        ['serve', '--port', '80.5'],
        'error: --port must be a port number from 0 to 65535 (got "80.5") (see identity-connector serve --help)',
      ],
    ] as const) {
      it(`serve ${argv.slice(1).join(' ')}: refused before anything starts, exit 2`, async () => {
        expect(await run(...argv)).to.include({ code: 2, err: message });
      });
    }

    it('serve with a PORT or BASE_URL that is not one: the variable named, exit 1', async () => {
      const saved = { PORT: process.env.PORT, BASE_URL: process.env.BASE_URL };
      try {
        process.env.PORT = 'eighty';
        expect(await run('serve')).to.include({
          code: 1,
          err: 'error: PORT must be a port number from 0 to 65535 (got "eighty")',
        });
        process.env.PORT = '0';
        process.env.BASE_URL = 'localhost:3000';
        expect(await run('serve')).to.include({
          code: 1,
          err: 'error: BASE_URL must be an http(s) origin such as https://app.example.com, without a path (got "localhost:3000")',
        });
      } finally {
        for (const [name, value] of Object.entries(saved))
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
      }
    });

    it('a misspelt flag, command or setting: balanced quotes and the nearest name', async () => {
      expect((await run('token', 'create', '--conector', connectorId)).err).to.equal(
        'error: unknown option "--conector"; did you mean "--connector"? (see identity-connector token create --help)',
      );
      expect((await run('conector', 'list')).err).to.equal(
        'error: unknown command "conector list"; did you mean "connector list"? (see identity-connector --help)',
      );
      const setting = await run('connector', 'settings', '--connector', connectorId, '--set', '{"groupEnabled":false}');
      expect(setting.code).to.equal(1);
      expect(setting.err).to.equal('error: unknown setting "groupEnabled"; did you mean "groupsEnabled"?');
    });

    it("each command's help lists the environment variables it reads", async () => {
      const names = (help: string) => [...help.matchAll(/^ {2}([A-Z_]+) /gm)].map((m) => m[1]);
      expect(names((await run('token', 'create', '--help')).out)).to.deep.equal([
        'DATABASE_URL',
        'IDENTITY_TABLE_PREFIX',
      ]);
      expect(names((await run('connector', 'set-oidc', '--help')).out)).to.include.members([
        'DATABASE_URL',
        'IDENTITY_SECRET_KEY',
        'BASE_URL',
        'IDENTITY_OIDC_CLIENT_SECRET',
      ]);
      expect(names((await run('serve', '--help')).out)).to.include.members([
        'PORT',
        'BASE_URL',
        'TRUST_PROXY',
        'LOG_LEVEL',
      ]);
      expect(names((await run('token', '--help')).out)).to.deep.equal(['DATABASE_URL', 'IDENTITY_TABLE_PREFIX']);
    });

    it('sqlite://./PATH and sqlite:./PATH are the same file, relative to the folder the command runs in', async () => {
      const cwd = process.cwd();
      const folder = fs.mkdtempSync(path.join(dir, 'relative-'));
      const saved = process.env.DATABASE_URL;
      process.chdir(folder);
      try {
        process.env.DATABASE_URL = 'sqlite://./here.sqlite';
        expect((await run('migrate')).code).to.equal(0);
        expect(fs.existsSync(path.join(folder, 'here.sqlite'))).to.equal(true);
        process.env.DATABASE_URL = 'sqlite:./here.sqlite';
        expect(await run('migrate')).to.include({
          code: 0,
          out: `already up to date (sqlite:${path.join(fs.realpathSync(folder), 'here.sqlite')})`,
        });
      } finally {
        process.chdir(cwd);
        process.env.DATABASE_URL = saved;
      }
    });
  });

  for (const [name, argv, message] of [
    ['no command', [], /Usage: identity-connector/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['a missing required option', ['connector', 'create', '--org', 'x'], /--name is required/],
    [
      'an unknown option',
      ['connector', 'list', '--colour'],
      /^error: unknown option "--colour" \(see identity-connector connector list --help\)$/,
    ],
    ['a token for a missing connector', ['token', 'create', '--connector', 'nope'], /connector nope not found/],
  ] as const) {
    it(`answers ${name} with a message and a non-zero exit`, async () => {
      const result = await run(...argv);
      expect(result.code).to.be.greaterThan(0);
      expect(result.err).to.match(message);
    });
  }
});
