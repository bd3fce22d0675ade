import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { connectKnex } from '../../lib/store/connect.js';
import { createIdentityConnector, type Connector, type IdentityConnector } from '../../lib/index.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import {
  relyingPartyClient,
  startTestProvider,
  type AccountClaims,
  type TestProvider,
} from '../support/fixtures/oidc-provider.js';
import { RP_CLIENT_ID, RP_CLIENT_SECRET, TENANT } from '../support/host-harness.js';
import { freePort } from '../support/net.js';

const SECRET_KEY = 'serve-admin-test-secret-key-0123456789abcdef';

/** `serve` as an operator runs it: its admin page admits whom Entra's app roles make an admin, signed in through Entra. */
describe('serve: the admin page by web role, signed in through Entra', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-serve-admin-'));
  const databaseUrl = `sqlite:${path.join(dir, 'serve.sqlite')}`;
  const knex = connectKnex(databaseUrl);
  const accounts = new Map<string, AccountClaims>();
  let identity: IdentityConnector;
  let connector: Connector;
  let provider: TestProvider;
  let child: ChildProcess;
  let origin: string;
  const person = (role: string) => ({
    email: `${role.toLowerCase()}.${randomUUID().slice(0, 6)}@contoso.example`,
    oid: randomUUID(),
    role,
  });
  const owner = person('EnterpriseAdmin');
  const member = person('User');

  before(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    provider = await startTestProvider({
      accounts,
      clients: [relyingPartyClient(RP_CLIENT_ID, RP_CLIENT_SECRET, `${origin}/identity/sso/callback`)],
    });
    // The operator's steps before serving (the CLI's migrate, connector create and set-oidc), through the library.
    identity = await createIdentityConnector({
      knex,
      baseUrl: origin,
      mountPath: '/identity',
      secretKey: SECRET_KEY,
      allowInsecureIssuer: true,
      logger: winston.createLogger({ silent: true }),
    });
    await identity.migrate();
    const created = await identity.store.connectors.create({ organizationId: 'org-contoso', name: 'Entra' });
    ({ connector } = await identity.configureOidc(created.id, {
      issuer: provider.issuer,
      tenantId: TENANT,
      clientId: RP_CLIENT_ID,
      clientSecret: RP_CLIENT_SECRET,
    }));
    for (const p of [owner, member]) {
      await identity.users.create(
        connector,
        {
          userName: p.email,
          externalId: p.oid,
          emails: [{ type: 'work', value: p.email, primary: true }],
          active: true,
          roles: [{ value: p.role, primary: true }],
        },
        { actor: 'host' },
        { loginMethod: 'sso' },
      );
      accounts.set(p.email, { oid: p.oid, tid: TENANT, preferred_username: p.email, email: p.email, name: p.role });
    }

    child = spawn(process.execPath, ['--import', 'tsx', path.resolve('bin/identity-connector.ts'), 'serve'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        IDENTITY_SECRET_KEY: SECRET_KEY,
        PORT: String(port),
        BASE_URL: origin,
        IDENTITY_ALLOW_INSECURE_ISSUER: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('identity-connector serving')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', () => reject(new Error(`serve exited:\n${output}`)));
    });
  });
  after(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await identity?.close();
    await provider?.close();
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (browser: TestBrowser, email: string) => {
    let page = await browser.follow(`${origin}/identity/sso/login?connector=${connector.id}&returnTo=/identity/admin`);
    if (page.url.startsWith(`${provider.origin}/interaction/`))
      page = await browser.follow(page.url, { form: { prompt: 'login', login: email, password: 'any password' } });
    return page;
  };

  it('refuses the admin page to nobody signed in', async () => {
    expect((await new TestBrowser().follow(`${origin}/identity/admin`)).status).to.equal(403);
  });

  it('lets an Entra EnterpriseAdmin signed in through SSO reach the admin page and their connector', async () => {
    const browser = new TestBrowser();
    const page = await signIn(browser, owner.email);
    expect(page.url).to.equal(`${origin}/identity/admin`);
    expect(page.status).to.equal(200);
    const api = await browser.follow(`${origin}/identity/admin/api/connectors`, {
      headers: { accept: 'application/json' },
    });
    expect(api.status).to.equal(200);
    expect(api.body).to.include(connector.id);
  });

  it('refuses a signed-in User', async () => {
    const browser = new TestBrowser();
    await signIn(browser, member.email);
    expect((await browser.follow(`${origin}/identity/admin`)).status).to.equal(403);
  });
});
