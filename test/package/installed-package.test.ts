import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  bin,
  cleanEnv,
  compile,
  installAsReadme,
  installDependencies,
  makeHost,
  npx,
  pack,
  ROOT,
  start,
  tscVersion,
  type ExpressMajor,
  type Host,
  type HostKind,
  type Packed,
} from './hosts.js';
import { migrationNames } from '../../lib/store/migrate.js';
import { knexConfigFromUrl } from '../../lib/store/connect.js';

/**
 * The package as a host installs it: packed, installed into fresh ESM (strict TypeScript) and
 * CommonJS hosts on Express 4 and 5, whose code is the README's own mount block. Each host
 * migrates by identity.migrate() and by the Knex CLI with the shipped knexfile, in both orders,
 * on SQLite, (with TEST_MYSQL_URL) MariaDB and (with TEST_PG_URL) PostgreSQL; then provisions a user over SCIM and serves the
 * sign-in and admin pages. And the README taken at its word: a fresh folder with only its install
 * lines and tsconfig compiles its host on the TypeScript the registry serves and on 5.9.
 */

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The fenced block right after the README's marker comment. */
function readmeBlock(marker: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}" block`);
  const match = /```\w+\n([\s\S]*?)```/.exec(readme.slice(at));
  return match![1];
}
const esmBlock = readmeBlock('<!-- test/package compiles this block');
const cjsBlock = readmeBlock('<!-- test/package runs this block');
const installLines = readmeBlock('<!-- test/package installs these lines').trim().split('\n');
const tsconfig = readmeBlock('<!-- test/package compiles the host below with this tsconfig.json');
/** The README's line for TypeScript 5.9, from its prose. */
const typescript59Line = /`(npm install --save-dev typescript@5\.9)`/.exec(readme)![1];

// Stands in for Entra sign-in (which sets req.session.identity, as the default signIn does), to open the admin page.
const TEST_SIGN_IN_ROUTE = `
app.post('/test/sign-in', express.json(), (req, res) => { req.session.identity = req.body; req.session.save(() => res.sendStatus(204)); });
`;

function hostSource(kind: HostKind): string {
  if (kind === 'esm-ts') return esmBlock + TEST_SIGN_IN_ROUTE;
  const body = esmBlock.slice(esmBlock.indexOf('const secretKey'));
  return cjsBlock.replace(/^ *\/\/ … the TypeScript example above.*$/m, body + TEST_SIGN_IN_ROUTE);
}

interface Database {
  name: 'sqlite' | 'mariadb' | 'postgres';
  url: string;
  reset(): Promise<void>;
  drop(): Promise<void>;
}

function sqlite(host: Host): Database {
  const remove = async () => {
    for (const suffix of ['', '-wal', '-shm'])
      fs.rmSync(path.join(host.dir, `identity.sqlite${suffix}`), { force: true });
  };
  // Relative on purpose: it must land in the host's folder, not in node_modules.
  return { name: 'sqlite', url: 'sqlite:./identity.sqlite', reset: remove, drop: remove };
}

/** A database name of the host's own: its folder's name without punctuation. */
const databaseName = (host: Host, base: URL) =>
  `${base.pathname.slice(1)}_${path.basename(host.dir).replace(/[^A-Za-z0-9]/g, '')}`;

function mariadb(host: Host, server: Knex, base: URL): Database {
  const name = databaseName(host, base);
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  return {
    name: 'mariadb',
    url: url.href,
    async reset() {
      await server.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await server.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    },
    async drop() {
      await server.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

/** A database of its own per host on the PostgreSQL server of TEST_PG_URL. */
function postgres(host: Host, server: Knex, base: URL): Database {
  const name = databaseName(host, base);
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    url: url.href,
    async reset() {
      await server.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await server.raw('CREATE DATABASE ??', [name]);
    },
    async drop() {
      await server.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
    },
  };
}

const SECRET = 'package-test-secret-key-0123456789abcdefgh';
const SESSION_SECRET = 'package-test-session-secret-0123456789abcd';

describe('The packed package in fresh hosts', function () {
  this.timeout(240_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-package-'));
  let packed: Packed;
  let deps: string;
  let server: Knex | undefined;
  const mysqlBase = process.env.TEST_MYSQL_URL ? new URL(process.env.TEST_MYSQL_URL) : undefined;
  let pgServer: Knex | undefined;
  const pgBase = process.env.TEST_PG_URL ? new URL(process.env.TEST_PG_URL) : undefined;
  /** The host's database on that engine; undefined when its server's URL is not set (the test is skipped). */
  const databaseOn = (dbName: Database['name'], host: Host): Database | undefined =>
    dbName === 'sqlite'
      ? sqlite(host)
      : dbName === 'mariadb'
        ? server && mariadb(host, server, mysqlBase!)
        : pgServer && postgres(host, pgServer, pgBase!);

  before(async () => {
    packed = await pack(work);
    deps = await installDependencies(work, packed.tarball);
    if (mysqlBase) {
      server = knexFactory({
        client: 'mysql2',
        connection: {
          host: mysqlBase.hostname,
          port: Number(mysqlBase.port || 3306),
          user: decodeURIComponent(mysqlBase.username),
          password: decodeURIComponent(mysqlBase.password),
        },
        pool: { min: 0, max: 1 },
      });
    }
    if (pgBase) {
      const maintenance = new URL(pgBase.href);
      maintenance.pathname = '/postgres';
      pgServer = knexFactory({ client: 'pg', connection: maintenance.href, pool: { min: 0, max: 1 } });
    }
  });
  after(async () => {
    await server?.destroy();
    await pgServer?.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds what runs: compiled code, types, README and LICENSE; no sources, tests or maps', () => {
    expect(packed.files).to.include.members([
      'LICENSE',
      'README.md',
      'package.json',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/knexfile.js',
      'dist/bin/identity-connector.js',
      'dist/views/admin.js',
      ...migrationNames().map((name) => `dist/migrations/${name}.js`),
    ]);
    // A host's knexfile may list dist/migrations as a Knex migrations directory: only migrations in it.
    expect(packed.files.filter((f) => f.startsWith('dist/migrations/')).sort()).to.deep.equal(
      migrationNames().map((name) => `dist/migrations/${name}.js`),
    );
    const strays = packed.files.filter(
      (f) => !/^(LICENSE|README\.md|package\.json)$/.test(f) && !/^dist\/.*\.(js|d\.ts)$/.test(f),
    );
    expect(strays).to.deep.equal([]);
    expect(packed.files.filter((f) => /^dist\/(test|examples|bench)\//.test(f))).to.deep.equal([]);
  });

  it('a host without the database driver is told which package to install', async () => {
    const host = makeHost(work, deps, 'cjs', 5, '', tsconfig, 'no-drivers');
    for (const driver of ['mysql2', 'pg', 'better-sqlite3']) fs.rmSync(path.join(host.dir, 'node_modules', driver));
    const tryUrl = (url: string) => bin(host, 'identity-connector', ['connector', 'list'], { DATABASE_URL: url });
    expect((await tryUrl('mysql://app@127.0.0.1/app')).stderr).to.equal(
      'error: DATABASE_URL "mysql://app@127.0.0.1/app" needs the mysql2 driver, which is not installed: npm install mysql2\n',
    );
    expect((await tryUrl('postgres://app:secret@127.0.0.1/app')).stderr).to.equal(
      'error: DATABASE_URL "postgres://app:***@127.0.0.1/app" needs the pg driver, which is not installed: npm install pg\n',
    );
    expect((await tryUrl('sqlite:./x.sqlite')).stderr).to.match(
      /needs the better-sqlite3 driver, which is not installed: npm install better-sqlite3\n$/,
    );
  });

  describe("One migration run: the host's knexfile (the README's) lists the connector's migrations beside its own", () => {
    let host: Host;
    before(() => {
      host = makeHost(work, deps, 'esm-ts', 5, esmBlock, tsconfig, 'one-migration-run');
      fs.writeFileSync(path.join(host.dir, 'knexfile.js'), knexfileBlock);
      fs.mkdirSync(path.join(host.dir, 'migrations'));
      fs.writeFileSync(path.join(host.dir, 'migrations', HOST_MIGRATION), HOST_MIGRATION_SOURCE);
    });

    for (const dbName of ['sqlite', 'mariadb', 'postgres'] as const) {
      it(`[${dbName}] one \`knex migrate:latest\` creates the host's table and the connector's; the CLI works on them`, async function () {
        const db = databaseOn(dbName, host);
        if (!db) return this.skip();
        await db.reset();
        try {
          await oneMigrationRun(host, db);
        } finally {
          await db.drop();
        }
      });
    }

    it('the shipped knexfile refuses `knex migrate:make` and writes nothing into the package', async () => {
      const dist = path.join(host.dir, 'node_modules/identity-connector/dist');
      const before = fs.readdirSync(dist, { recursive: true });
      const made = await bin(
        host,
        'knex',
        ['--knexfile', 'node_modules/identity-connector/dist/knexfile.js', 'migrate:make', 'mine'],
        {},
      );
      expect(made.code).to.not.equal(0);
      expect(made.stderr).to.include(
        'identity-connector knexfile: `knex migrate:make` would write into node_modules/identity-connector/dist',
      );
      expect(fs.readdirSync(dist, { recursive: true })).to.deep.equal(before);
    });
  });

  describe("the README's own words in a fresh folder: its install lines and tsconfig, nothing else", () => {
    const fresh: Host = { kind: 'esm-ts', express: 5, dir: '' };
    before(async () => {
      fresh.dir = path.join(work, 'readme-host');
      fs.mkdirSync(fresh.dir);
      // "The host is an ES module (`"type": "module"` in your package.json)".
      fs.writeFileSync(path.join(fresh.dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      await installAsReadme(fresh.dir, packed.tarball, installLines);
      fs.writeFileSync(path.join(fresh.dir, 'tsconfig.json'), tsconfig);
      fs.writeFileSync(path.join(fresh.dir, 'app.ts'), hostSource('esm-ts'));
    });

    it('installs only what the README names', () => {
      const named = installLines.flatMap((line) =>
        line
          .replace(/#.*$/, '')
          .trim()
          .split(/\s+/)
          .slice(2)
          .filter((word) => !word.startsWith('-')),
      );
      const manifest = JSON.parse(fs.readFileSync(path.join(fresh.dir, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      };
      expect([...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)].sort()).to.deep.equal(
        named.sort(),
      );
    });

    it('compiles the host strictly with the TypeScript the registry serves today', async () => {
      const { stdout } = await promisify(execFile)('npm', ['view', 'typescript', 'version', '--prefer-offline'], {
        cwd: fresh.dir,
        env: cleanEnv(),
      });
      expect(await tscVersion(fresh.dir)).to.equal(stdout.trim());
      await compile(fresh);
    });

    it('runs: migrates, provisions over SCIM without a session cookie, an EnterpriseAdmin reaches the admin page', async () => {
      await scenario(fresh, sqlite(fresh), 'migrate-first');
    });

    it('compiles the host strictly with TypeScript 5.9, as the README offers', async () => {
      await installAsReadme(fresh.dir, packed.tarball, [typescript59Line]);
      expect(await tscVersion(fresh.dir)).to.match(/^5\.9\./);
      fs.rmSync(path.join(fresh.dir, 'dist'), { recursive: true, force: true });
      await compile(fresh);
      expect(fs.existsSync(path.join(fresh.dir, 'dist/app.js'))).to.equal(true);
    });
  });

  const hosts: Array<[HostKind, ExpressMajor]> = [
    ['esm-ts', 4],
    ['esm-ts', 5],
    ['cjs', 4],
    ['cjs', 5],
  ];
  for (const [kind, expressMajor] of hosts) {
    describe(`${kind === 'esm-ts' ? 'ESM host in strict TypeScript' : 'CommonJS host using require'} on Express ${expressMajor}`, () => {
      let host: Host;
      before(async () => {
        host = makeHost(work, deps, kind, expressMajor, hostSource(kind), tsconfig);
        expect(
          JSON.parse(fs.readFileSync(path.join(host.dir, 'node_modules/express/package.json'), 'utf8')).version,
        ).to.match(new RegExp(`^${expressMajor}\\.`));
        if (kind === 'esm-ts') await compile(host);
      });

      for (const dbName of ['sqlite', 'mariadb', 'postgres'] as const) {
        for (const order of [
          'identity.migrate() first, then the Knex CLI',
          'the Knex CLI first, then identity.migrate()',
        ] as const) {
          it(`[${dbName}] ${order}; provisions over SCIM, serves sign-in and admin pages`, async function () {
            const db = databaseOn(dbName, host);
            if (!db) return this.skip();
            await db.reset();
            try {
              await scenario(host, db, order.startsWith('identity.migrate()') ? 'migrate-first' : 'knex-first');
            } finally {
              await db.drop();
            }
          });
        }
      }
    });
  }
});

async function scenario(host: Host, db: Database, order: 'migrate-first' | 'knex-first'): Promise<void> {
  const env = { DATABASE_URL: db.url, IDENTITY_SECRET_KEY: SECRET, SESSION_SECRET };
  const knexCli = () =>
    npx(host, ['knex', '--knexfile', 'node_modules/identity-connector/dist/knexfile.js', 'migrate:latest'], env);

  if (order === 'knex-first') {
    const migrated = await knexCli();
    expect(migrated.code, migrated.stderr).to.equal(0);
    expect(migrated.stdout).to.include(`Batch 1 run: ${migrationNames().length} migrations`);
  }
  const app = await start(host, env);
  try {
    const created = await bin(
      host,
      'identity-connector',
      ['connector', 'create', '--org', 'acme', '--name', 'Entra ID'],
      env,
    );
    expect(created.code, created.stderr).to.equal(0);
    const connectorId = /created connector (\S+)/.exec(created.stdout)![1];
    const issued = await bin(host, 'identity-connector', ['token', 'create', '--connector', connectorId], env);
    expect(issued.code, issued.stderr).to.equal(0);
    await provisionAndBrowse(app.url, connectorId, issued.stdout.trim());
    expect(app.output()).to.include('provisioned pat@contoso.com');
  } finally {
    await app.stop();
  }
  if (order === 'migrate-first') {
    const migrated = await knexCli();
    expect(migrated.code, migrated.stderr).to.equal(0);
    expect(migrated.stdout).to.match(/Already up to date/);
  }
  if (db.name === 'sqlite') {
    expect(fs.existsSync(path.join(host.dir, 'identity.sqlite')), 'the database in the host folder').to.equal(true);
    expect(
      fs.readdirSync(path.join(host.dir, 'node_modules/identity-connector/dist')).filter((f) => f.includes('sqlite')),
    ).to.deep.equal([]);
  }
}

const knexfileBlock = readmeBlock('<!-- test/package runs this knexfile');
const HOST_MIGRATION = '20250101000000_notes.js';
const HOST_MIGRATION_SOURCE = `export const up = (knex) => knex.schema.createTable('notes', (t) => { t.increments('id'); t.string('text'); });
export const down = (knex) => knex.schema.dropTable('notes');
`;

async function oneMigrationRun(host: Host, db: Database): Promise<void> {
  const env = { DATABASE_URL: db.url, IDENTITY_SECRET_KEY: SECRET };
  const migrated = await bin(host, 'knex', ['migrate:latest'], env);
  expect(migrated.code, migrated.stderr).to.equal(0);
  expect(migrated.stdout).to.include(`Batch 1 run: ${migrationNames().length + 1} migrations`);

  const knex = knexFactory(knexConfigFromUrl(db.url, host.dir));
  try {
    for (const table of ['notes', 'idc_connectors', 'idc_users', 'knex_migrations'])
      expect(await knex.schema.hasTable(table), table).to.equal(true);
    expect(await knex.schema.hasTable('idc_knex_migrations'), "the connector's own table").to.equal(false);
    const recorded = (await knex('knex_migrations').select('name')).map((row: { name: string }) => row.name);
    expect(recorded.sort()).to.deep.equal([HOST_MIGRATION, ...migrationNames().map((name) => `${name}.js`)].sort());
  } finally {
    await knex.destroy();
  }

  // The connector's CLI works on tables the host's knexfile migrated, and leaves their migration to it.
  const created = await bin(
    host,
    'identity-connector',
    ['connector', 'create', '--org', 'acme', '--name', 'Entra ID'],
    env,
  );
  expect(created.code, created.stderr).to.equal(0);
  const refused = await bin(host, 'identity-connector', ['migrate'], env);
  expect(refused.code).to.equal(1);
  expect(refused.stderr).to.match(
    /migrated through your own migrations table .*keep migrating them with that knexfile/,
  );
  const again = await bin(host, 'knex', ['migrate:latest'], env);
  expect(again.code, again.stderr).to.equal(0);
  expect(again.stdout).to.match(/Already up to date/);

  // The host's folder is the last directory: that is where `knex migrate:make` writes.
  const made = await bin(host, 'knex', ['migrate:make', 'more_notes'], env);
  expect(made.code, made.stderr).to.equal(0);
  const mine = fs.readdirSync(path.join(host.dir, 'migrations')).filter((f) => f !== HOST_MIGRATION);
  expect(mine).to.have.length(1);
  expect(mine[0]).to.match(/_more_notes\.js$/);
  fs.rmSync(path.join(host.dir, 'migrations', mine[0]));
}

/**
 * Entra provisions an EnterpriseAdmin over SCIM (no session cookie on any SCIM answer: the README
 * mounts sessions with identity.skipOnScim); once signed in, they reach the admin page with no
 * host code beyond the README's (authorizeAdmin defaults to the web role).
 */
async function provisionAndBrowse(url: string, connectorId: string, token: string): Promise<void> {
  const scim = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  const created = await fetch(`${url}/identity/scim/v2/Users`, {
    method: 'POST',
    headers: scim,
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'pat@contoso.com',
      externalId: 'oid-pat',
      active: true,
      name: { givenName: 'Pat', familyName: 'Lee' },
      roles: [{ value: 'EnterpriseAdmin', primary: true }],
    }),
  });
  expect(created.status, await created.clone().text()).to.equal(201);
  expect(created.headers.get('set-cookie'), 'a session cookie on a SCIM answer').to.equal(null);
  const user = (await created.json()) as { id: string };
  const listed = await fetch(
    `${url}/identity/scim/v2/Users?filter=${encodeURIComponent('userName eq "PAT@contoso.com"')}`,
    { headers: scim },
  );
  expect(listed.headers.get('set-cookie'), 'a session cookie on a SCIM answer').to.equal(null);
  expect(((await listed.json()) as { totalResults: number }).totalResults).to.equal(1);

  const signIn = await fetch(`${url}/identity/sso`);
  expect(signIn.headers.get('content-type')).to.match(/text\/html/);
  expect(await signIn.text()).to.match(/<form[^>]+method="post"/i);

  expect((await fetch(`${url}/identity/admin`)).status).to.equal(403);
  const signedIn = await fetch(`${url}/test/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ connectorId, userId: user.id }),
  });
  expect(signedIn.status).to.equal(204);
  const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
  const page = await fetch(`${url}/identity/admin`, { headers: { cookie } });
  expect(page.status).to.equal(200);
  expect(await page.text()).to.match(/<html/i);
}
