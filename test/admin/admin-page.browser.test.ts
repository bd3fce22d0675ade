import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDemoApp, type DemoApp } from '../../examples/host-app.js';
import type { StoredUser } from '../../lib/model/types.js';
import type { AdminConnector } from '../../lib/model/admin-wire.js';
import { launchChromiumOrSkip } from './chromium.js';
import { SecretBox } from '../../lib/crypto/secret-box.js';
import { startFakeGraph } from '../support/fixtures/fake-graph.js';

const ADMIN = 'admin@demo.local';
const ADMIN_PASSWORD = 'demo-admin-password-for-the-browser-test';
const ORG_ADMIN = 'org.admin@demo.local';
const SECRET_KEY = 'admin-page-browser-test-secret-key-0123456789';
const ORG_ADMIN_PASSWORD = 'org-admin-password-for-the-browser-test';
/** Screenshots of every page the tests visit, kept for people to look at (ignored by git). */
const ARTIFACTS = path.resolve('test-artifacts/admin');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** One section of the page (its heading's region), legible at full size. */
async function sectionShot(page: Page, title: string, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page
    .getByRole('region', { name: title, exact: true })
    .screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

describe('The admin page in a real browser (demo host)', () => {
  let browser: Browser | undefined;
  let demo: DemoApp | undefined;
  let server: http.Server | undefined;
  let origin: string;
  let dir: string | undefined;
  let ssoUser: StoredUser;
  let otherConnectorId: string;

  before(async function () {
    this.timeout(60_000);
    browser = await launchChromiumOrSkip(this);
    // The demo's baseUrl must be the origin the browser uses (the admin API checks Origin), so listen first.
    let app: http.RequestListener | undefined;
    server = http.createServer((req, res) => (app ? app(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'idc-admin-page-'));
    demo = await createDemoApp({
      BASE_URL: origin,
      DATABASE_URL: `sqlite:${path.join(dir, 'identity.sqlite')}`,
      IDENTITY_SECRET_KEY: SECRET_KEY,
      DEMO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The push test's fake Graph listens on http://127.0.0.1.
      IDENTITY_ALLOW_INSECURE_ISSUER: 'true',
    });
    app = demo.app;
    ssoUser = await demo.identity.users.create(
      demo.connector,
      {
        userName: 'sso.person@demo.local',
        displayName: 'SSO <Person>',
        emails: [{ type: 'work', value: 'sso.person@demo.local', primary: true }],
        active: true,
        roles: [{ value: 'User', primary: true }],
      },
      { actor: 'test' },
      { loginMethod: 'sso' },
    );
    // A customer's admin (Admin web role in demo-org), and another organization on the same platform.
    await demo.identity.users.create(
      demo.connector,
      {
        userName: ORG_ADMIN,
        displayName: 'Org Admin',
        emails: [{ type: 'work', value: ORG_ADMIN, primary: true }],
        active: true,
        roles: [{ value: 'Admin', primary: true }],
      },
      { actor: 'test' },
      { loginMethod: 'builtin', password: ORG_ADMIN_PASSWORD },
    );
    const other = await demo.identity.store.connectors.create({ organizationId: 'other-org', name: 'Rooms' });
    otherConnectorId = other.id;
    for (const name of ['bulk.one', 'bulk.two']) {
      await demo.identity.users.create(
        demo.connector,
        { userName: `${name}@demo.local`, active: true },
        { actor: 'test' },
        { loginMethod: 'sso' },
      );
    }
  });

  /** Signs in through the password page the way a person does. */
  async function passwordSignIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Signs in with a password from the login page and lands on the admin page, as an admin would. */
  async function openAdminPage(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${origin}/login?returnTo=/identity/admin`);
    await passwordSignIn(page, email, password);
    await page.waitForURL(`${origin}/identity/admin`);
  }

  after(async () => {
    await browser?.close();
    if (server)
      await new Promise<void>((resolve) => {
        server!.closeAllConnections();
        server!.close(() => resolve());
      });
    await demo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Script errors, CSP violations and failed admin API calls. Failed page loads are left out of
   * the console errors (the deliberate 403, the favicon the demo does not have).
   */
  function watchForErrors(page: Page): string[] {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.url().includes('/identity/admin/api/') && r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    return errors;
  }

  /** A fresh browser context for one test: the page and the errors it collects; closed afterwards. */
  async function inPage(run: (page: Page, errors: string[]) => Promise<void>): Promise<void> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await run(page, watchForErrors(page));
    } finally {
      await context.close();
    }
  }

  it('signs in as the built-in admin, switches a user to built-in login and creates a token shown once', async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      const refused = await page.goto(`${origin}/identity/admin`);
      expect(refused!.status(), 'not signed in').to.equal(403);
      await shot(page, '01-admin-refused');

      // Sign in → home-realm discovery → the password page → back on the admin page.
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByLabel('Work email').fill(ADMIN);
      await shot(page, '02-sign-in');
      await page.getByRole('button', { name: 'Continue' }).click();
      expect(await page.getByLabel('Email').inputValue()).to.equal(ADMIN);
      await shot(page, '03-password-page');
      await passwordSignIn(page, ADMIN, ADMIN_PASSWORD);
      await page.waitForURL(`${origin}/identity/admin`);

      const response = await page.reload();
      expect(response!.status()).to.equal(200);
      expect(response!.headers()['content-security-policy']).to.match(/script-src 'nonce-[^']+'/);
      expect(await page.getByRole('textbox', { name: 'SCIM Tenant URL' }).inputValue()).to.equal(
        `${origin}/identity/scim/v2`,
      );
      expect(await page.getByRole('textbox', { name: 'Redirect URI' }).inputValue()).to.equal(
        `${origin}/identity/sso/callback`,
      );

      // The user's row: its name is escaped text, not markup.
      const row = page.getByRole('row', { name: /sso\.person@demo\.local/ });
      expect(await row.getByRole('cell', { name: 'SSO <Person>' }).count()).to.equal(1);
      await row.getByRole('button', { name: 'Switch to built-in login' }).click();
      await row.getByRole('button', { name: 'Switch to Entra SSO' }).waitFor();
      expect(await row.locator('[data-cell="login-method"]').textContent()).to.equal('Built-in login');
      expect(await page.getByText('sso.person@demo.local now signs in with Built-in login.').count()).to.equal(1);
      expect((await demo!.identity.store.users.get(demo!.connector.id, ssoUser.id))!.loginMethod).to.equal('builtin');
      // The change is in the provisioning log, which the page re-rendered.
      expect(await page.locator('#log').getByText('user.login-method').count()).to.be.greaterThan(0);

      // The demo has one live token already: a second one is the rotation overlap.
      await page.getByLabel('Label (optional)').fill('rotation');
      await page.getByRole('button', { name: 'Create token' }).click();
      const tokenField = page.getByRole('textbox', { name: 'New token' });
      await tokenField.waitFor();
      const token = await tokenField.inputValue();
      expect(token).to.match(/^idc_[A-Za-z0-9_-]{43}$/);
      expect(await demo!.identity.store.tokens.verify(token)).to.include({
        connectorId: demo!.connector.id,
        label: 'rotation',
      });
      await page.getByText('Token created. Copy it now: it is not shown again.').waitFor();
      expect(await page.locator('#tokens tbody tr').count()).to.equal(2);
      await shot(page, '04-admin-page');

      // Two live tokens are all a connector may have: Create token is disabled, and says why, until one is revoked.
      const create = page.getByRole('button', { name: 'Create token' });
      expect(await create.isDisabled()).to.equal(true);
      expect(await create.getAttribute('aria-describedby')).to.equal('token-refused');
      expect(await page.locator('#token-refused').textContent()).to.match(
        /^No new token now: this connector already has 2 live tokens: revoke one before creating another/,
      );

      // Shown once: a fresh render of the page no longer holds it.
      await page.reload();
      expect(await page.content()).to.not.include(token);
      expect(await page.locator('#new-token').isHidden()).to.equal(true);
      expect(await create.isDisabled()).to.equal(true);
      page.once('dialog', (dialog) => void dialog.accept());
      await page
        .locator('#tokens')
        .getByRole('row', { name: /rotation/ })
        .getByRole('button', { name: /^Revoke / })
        .click();
      await page.getByText(/^Token idc_.* revoked\.$/).waitFor();
      expect(await create.isEnabled()).to.equal(true);
      expect(await page.locator('#token-refused').count()).to.equal(0);
      expect(errors, 'script errors or CSP violations').to.deep.equal([]);
    });
  });

  it('switches users in bulk after a confirmation naming the count, and refuses SSO while it never worked', async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });

      for (const name of ['bulk.one', 'bulk.two'])
        await page.getByRole('checkbox', { name: `Select ${name}@demo.local` }).check();
      await page.getByRole('button', { name: 'Switch selected (or all) to built-in login' }).click();
      await page.getByText('2 users switched.').waitFor();
      expect(dialogs).to.deep.equal(['Switch 2 users to built-in login?']);
      for (const name of ['bulk.one', 'bulk.two']) {
        expect(
          (await demo!.identity.store.users.findByUserName(demo!.connector.id, `${name}@demo.local`))!.loginMethod,
        ).to.equal('builtin');
      }
      await shot(page, '05-bulk-switched');

      // How users provisioned from now on sign in: a connector setting, two clicks.
      await page.getByLabel('New users sign in with').selectOption('builtin');
      await page.getByRole('button', { name: 'Save for new users' }).click();
      await page.getByText('Saved: applies to users provisioned from now on.').waitFor();
      expect((await demo!.identity.store.connectors.get(demo!.connector.id))!.settings.newUserLoginMethod).to.equal(
        'builtin',
      );

      // The demo connector has no OpenID Connect: nobody can be switched to SSO, the admin included. The
      // buttons are disabled while the policy refuses, and say why; the API refuses all the same.
      const reason =
        /has no OpenID Connect settings .*: configure OpenID Connect for this connector before switching users to SSO/;
      const refused = page.getByRole('button', { name: 'Switch to Entra SSO', description: /^admin@demo\.local / });
      expect(await refused.isDisabled()).to.equal(true);
      expect(await refused.getAttribute('aria-describedby')).to.match(/\bsso-switch-refused$/);
      expect(await page.locator('#sso-switch-refused').textContent()).to.match(reason);
      expect(await page.locator('#sso-switch-refused').isVisible()).to.equal(true);
      expect(await page.getByRole('button', { name: 'Switch selected (or all) to Entra SSO' }).isDisabled()).to.equal(
        true,
      );
      expect(
        await page.getByRole('button', { name: 'Switch selected (or all) to built-in login' }).isEnabled(),
      ).to.equal(true);
      await sectionShot(page, 'Users', '05b-sso-switch-refused');
      const admin = (await demo!.identity.store.users.findByUserName(demo!.connector.id, ADMIN))!;
      const csrf = ((await (await page.request.get(`${origin}/identity/admin/api/csrf`)).json()) as { token: string })
        .token;
      const direct = await page.request.put(`${origin}/identity/admin/api/users/${admin.id}/login-method`, {
        headers: { 'X-CSRF-Token': csrf, origin },
        data: { connectorId: demo!.connector.id, loginMethod: 'sso', confirm: true },
      });
      expect(direct.status()).to.equal(409);
      expect(((await direct.json()) as { message: string }).message).to.match(reason);
      expect((await demo!.identity.store.users.findByUserName(demo!.connector.id, ADMIN))!.loginMethod).to.equal(
        'builtin',
      );
      expect(
        errors.filter((e) => !e.startsWith('409 ')),
        'script errors or CSP violations',
      ).to.deep.equal([]);
    });
  });

  it("shows the log in words, filtered by user, and a user's page with attributes, groups and history", async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
      await page.getByLabel('User (user name)').fill('sso.person@demo.local');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/user=sso\.person/);
      const rows = page.locator('#log tbody tr');
      expect(await rows.count()).to.be.greaterThan(0);
      expect(await page.locator('#log').getByText('loginMethod “sso” → “builtin”').count()).to.equal(1);
      // The admin who made the change, by name.
      expect(await page.locator('#log').getByText(`by ${ADMIN}`).count()).to.equal(1);
      await shot(page, '06-log-filtered');

      await page.locator('#log').getByRole('link', { name: 'sso.person@demo.local' }).first().click();
      await page.getByRole('heading', { name: /sso\.person@demo\.local/ }).waitFor();
      expect(await page.getByRole('heading', { name: 'SCIM attributes' }).count()).to.equal(1);
      expect(await page.locator('#history-title').count()).to.equal(1);
      await shot(page, '07-user-page');
      expect(errors).to.deep.equal([]);
    });
  });

  it('shows a connector the mass-deprovisioning guard paused, and resumes it after the admin confirms', async function () {
    this.timeout(60_000);
    const guarded = await demo!.identity.store.connectors.updateSettings(demo!.connector.id, {
      deprovisionGuard: { minimumUsers: 1 },
    });
    const leavers = [];
    for (const name of ['leaver.one', 'leaver.two'])
      leavers.push(
        await demo!.identity.users.create(guarded, { userName: `${name}@demo.local`, active: true }, { actor: 'test' }),
      );
    await demo!.identity.users.delete(guarded, leavers[0].id, { actor: 'test' });
    const refused = await demo!.identity.users.delete(guarded, leavers[1].id, { actor: 'test' }).then(
      () => 'deleted',
      (error: Error) => error.message,
    );
    expect(refused).to.match(/deprovisioning is paused/);
    try {
      await inPage(async (page, errors) => {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        const dialogs: string[] = [];
        page.on('dialog', (dialog) => {
          dialogs.push(dialog.message());
          void dialog.accept();
        });
        const guard = page.locator('#deprovisioning');
        expect(await guard.getByText('Paused').count()).to.equal(1);
        await shot(page, '10-deprovisioning-paused');
        await page.getByRole('button', { name: 'Resume deprovisioning' }).click();
        await page.getByText('Deprovisioning resumed.').waitFor();
        expect(dialogs).to.deep.equal([
          "Resume deprovisioning? Entra's held deactivations and deletions then go through.",
        ]);
        expect(await guard.getByText('Running').count()).to.equal(1);
        expect((await demo!.identity.store.connectors.get(guarded.id))!.deprovisioningPausedAt).to.equal(null);
        expect(
          await page.locator('#log tbody').getByText('connector.deprovisioning-resumed').count(),
        ).to.be.greaterThan(0);
        expect(errors).to.deep.equal([]);
      });
    } finally {
      await demo!.identity.store.connectors.updateSettings(guarded.id, { deprovisionGuard: { minimumUsers: 50 } });
    }
  });

  it("lets a customer's Admin create a connector from a preset in their organization, and opens it", async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ORG_ADMIN, ORG_ADMIN_PASSWORD);
      const form = page.locator('#new-connector-title').locator('..');
      // Only their own organization is offered.
      expect(await form.getByLabel('Organization').locator('option').allTextContents()).to.deep.equal(['demo-org']);
      await form.getByLabel('Name').fill('Staffbase intranet');
      await form.getByLabel('Preset').selectOption('staffbase');
      await shot(page, '11-new-connector');
      await form.getByRole('button', { name: 'Create connector' }).click();
      await page.waitForURL(/\/identity\/admin\/connectors\/[0-9a-f-]{36}$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.include('Staffbase intranet');
      const id = page.url().split('/').pop()!;
      const created = (await demo!.identity.store.connectors.get(id))!;
      expect(created).to.include({ organizationId: 'demo-org', name: 'Staffbase intranet', profile: 'staffbase' });
      expect(created.settings).to.include({ groupDisplayNamePrefix: '[SCIM] ', matchOnCreate: 'externalId' });
      // The page shows the preset's settings and the new connector's own SCIM URL.
      expect(await page.getByLabel('Settings (JSON)', { exact: true }).inputValue()).to.include(
        '"groupDisplayNamePrefix": "[SCIM] "',
      );
      await shot(page, '12-connector-from-preset');
      expect(errors, 'script errors or CSP violations').to.deep.equal([]);
    });
  });

  it('pushes users to Entra (a local fake Graph) and shows the per-user result, the one-time password included', async function () {
    this.timeout(60_000);
    const tenant = '3f1c2a9e-7b4d-4c8e-9a01-5d6e7f8a9b0c';
    const graph = await startFakeGraph({
      tenant,
      clients: { 'push-app': { secret: 'push-app-secret', mayCreateUsers: true } },
      existing: ['taken@demo.local'],
    });
    try {
      const store = demo!.identity.store;
      const created = await store.connectors.create({
        organizationId: 'demo-org',
        name: 'Pushed to Entra',
        settings: { entraPush: { graphBaseUrl: graph.graphBaseUrl, tokenUrl: graph.tokenUrl } },
      });
      const pushing = await store.connectors.setOidc(created.id, {
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        clientId: 'push-app',
        tenantId: tenant,
        clientSecretEncrypted: new SecretBox(SECRET_KEY).encrypt('push-app-secret'),
      });
      const newcomer = await demo!.identity.users.create(
        pushing,
        { userName: 'newcomer@demo.local', displayName: 'New Comer', active: true },
        { actor: 'test' },
        { loginMethod: 'builtin' },
      );
      await demo!.identity.users.create(
        pushing,
        { userName: 'taken@demo.local', active: true },
        { actor: 'test' },
        { loginMethod: 'builtin' },
      );
      await inPage(async (page, errors) => {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        await page.goto(`${origin}/identity/admin/connectors/${pushing.id}`);
        const dialogs: string[] = [];
        page.on('dialog', (dialog) => {
          dialogs.push(dialog.message());
          void dialog.accept();
        });
        await page.getByRole('button', { name: 'Push users to Entra' }).click();
        await page.getByText('1 created, 0 skipped, 1 failed.').waitFor();
        expect(dialogs).to.deep.equal(['Create the users Entra does not have yet in Entra, and link them?']);
        const table = page.getByRole('table', { name: 'Push to Entra' });
        const linked = (await store.users.get(pushing.id, newcomer.id))!.externalId!;
        expect(graph.users.has(linked)).to.equal(true);
        const cells = await table
          .getByRole('row', { name: /newcomer@demo\.local/ })
          .getByRole('cell')
          .allTextContents();
        expect(cells.slice(0, 3)).to.deep.equal(['newcomer@demo.local', 'created', linked]);
        expect(cells[3]).to.match(/^[A-Za-z0-9_-]{22}!$/);
        expect(
          await table
            .getByRole('row', { name: /taken@demo\.local/ })
            .getByRole('cell')
            .nth(2)
            .textContent(),
        ).to.equal(
          '400 Request_BadRequest/ObjectConflict: Another object with the same value for property userPrincipalName already exists.',
        );
        await shot(page, '13-entra-push');
        expect(errors, 'script errors or CSP violations').to.deep.equal([]);
      });
    } finally {
      await graph.close();
    }
  });

  it('adds a workspace of the organization, sees it in the table and the log, and removes it after confirming', async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });
      const card = () => page.locator('#workspaces');
      expect(await card().getByText('No workspaces yet').count()).to.equal(1);
      await page.getByLabel('Workspace id').fill('helsinki');
      await page.getByLabel('Name (optional)').fill('Helsinki <office>');
      await page.getByRole('button', { name: 'Add workspace' }).click();
      await page.getByText('Workspace saved.').waitFor();
      const row = card().getByRole('row', { name: /helsinki/ });
      expect(
        await row.getByRole('cell', { name: 'Helsinki <office>' }).count(),
        'the name is text, not markup',
      ).to.equal(1);
      expect(
        (await demo!.identity.workspaces.list(demo!.connector.organizationId)).map((w) => [w.id, w.name]),
      ).to.deep.equal([['helsinki', 'Helsinki <office>']]);
      expect(await page.locator('#log tbody').getByText('workspace.register').count()).to.be.greaterThan(0);
      await shot(page, '11-workspace-added');
      await row.getByRole('button', { name: 'Remove workspace helsinki' }).click();
      await page.getByText('Workspace helsinki removed.').waitFor();
      expect(dialogs).to.deep.equal([
        'Remove workspace helsinki? Its users move to the workspace their mapping decides next.',
      ]);
      expect(await demo!.identity.workspaces.list(demo!.connector.organizationId)).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    });
  });

  it("protects a user, makes a group of the platform's own and renames it, and copies a target from the Entra mapping sheet", async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void (dialog.type() === 'prompt' ? dialog.accept('Site crew <north>') : dialog.accept());
      });
      const user = (await demo!.identity.store.users.findByUserName(demo!.connector.id, 'bulk.one@demo.local'))!;
      const row = page.locator('#users').getByRole('row', { name: /bulk\.one@demo\.local/ });
      await row.getByRole('button', { name: 'Protect' }).click();
      await page.getByText('bulk.one@demo.local is protected').waitFor();
      expect((await demo!.identity.store.users.get(demo!.connector.id, user.id))?.protected).to.equal(true);
      await page
        .locator('#users')
        .getByRole('row', { name: /bulk\.one@demo\.local/ })
        .getByRole('button', { name: 'Unprotect' })
        .click();
      await page.getByText('bulk.one@demo.local is no longer protected.').waitFor();

      await page.getByLabel('New group').fill('Site crew');
      await page.getByRole('button', { name: 'Create group' }).click();
      await page.getByText('Group created: choose it as the default group').waitFor();
      expect(
        await page.getByLabel('Group for new users').locator('option', { hasText: 'Site crew' }).count(),
        'the default-group picker offers it',
      ).to.equal(1);
      await page
        .locator('#groups')
        .getByRole('row', { name: /Site crew/ })
        .getByRole('button', { name: 'Rename' })
        .click();
      await page.getByText('Group renamed to Site crew <north>.').waitFor();
      await shot(page, '12-own-group');
      await page
        .locator('#groups')
        .getByRole('row', { name: /Site crew <north>/ })
        .getByRole('button', { name: 'Delete' })
        .click();
      await page.getByText('Group Site crew <north> deleted.').waitFor();
      expect(dialogs).to.deep.equal([
        'New name for group Site crew:',
        'Delete group Site crew <north>? Its members stay users; they only leave the group.',
      ]);
      expect(await page.locator('#log tbody').getByText('group.patch').count()).to.be.greaterThan(0);

      const sheet = page.locator('#entra-mapping');
      await sheet.getByRole('button', { name: 'Copy userName' }).click();
      await page.getByText('Copied userName to the clipboard.').waitFor();
      expect(errors).to.deep.equal([]);
    });
  });

  it("gives a customer's Admin their own organization only; another organization's page is 404", async function () {
    this.timeout(60_000);
    await inPage(async (page) => {
      // A page that needs sign-in sends the browser to sign in and back.
      await page.goto(`${origin}/reports`);
      expect(new URL(page.url()).searchParams.get('returnTo')).to.equal('/reports');
      await openAdminPage(page, ORG_ADMIN, ORG_ADMIN_PASSWORD);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.include('demo-org');
      expect(await page.content())
        .to.not.include('other-org')
        .and.not.include(otherConnectorId);
      await shot(page, '08-org-admin');
      const other = await page.goto(`${origin}/identity/admin/connectors/${otherConnectorId}`);
      expect(other!.status()).to.equal(404);
      await shot(page, '09-other-org-404');
    });
  });
  /** The connector as the admin API answers it, read with the browser's own session. */
  async function connectorFromApi(page: Page, id: string): Promise<AdminConnector> {
    const response = await page.request.get(`${origin}/identity/admin/api/connectors/${id}`);
    expect(response.status()).to.equal(200);
    return (await response.json()) as AdminConnector;
  }

  it('edits the role map in rows, without JSON, saves it and reads it back from the API', async function () {
    this.timeout(60_000);
    const before = demo!.connector.settings.roleMap;
    try {
      await inPage(async (page, errors) => {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        const card = page.locator('#role-map');
        const row = (value: string) =>
          card.getByRole('row').filter({ has: page.locator(`input[data-key][value="${value}"]`) });
        // ReadOnly's row gives User from now on; EnterpriseAdmin's row is removed; two rows are added.
        await row('ReadOnly').getByRole('combobox', { name: 'Web role' }).selectOption('User');
        await card.getByRole('button', { name: 'Remove app role EnterpriseAdmin' }).click();
        await card.getByRole('button', { name: 'Add app role' }).click();
        const added = card.getByRole('textbox', { name: 'App role value' }).last();
        expect(await added.evaluate((e) => e === document.activeElement), 'the new row has focus').to.equal(true);
        await added.fill('Site.Manager');
        await card.getByRole('combobox', { name: 'Web role' }).last().selectOption('Admin');
        await card.getByRole('button', { name: 'Add app role' }).click();
        await card.getByRole('textbox', { name: 'App role value' }).last().fill('Guest');
        await card.getByRole('combobox', { name: 'Web role' }).last().selectOption({ label: 'None (app login only)' });
        await sectionShot(page, 'Role map', '14-role-map-edited');
        await card.getByRole('button', { name: 'Save role map' }).click();
        await page.getByText('Role map saved: applies to users at their next provisioning.').waitFor();

        const expected = { ReadOnly: 'User', User: 'User', Admin: 'Admin', 'Site.Manager': 'Admin' };
        expect((await connectorFromApi(page, demo!.connector.id)).settings.roleMap).to.deep.equal(expected);
        // The page was re-rendered from the saved settings: the None row is gone, the new one is there.
        expect(
          await page
            .locator('#role-map input[data-key]')
            .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value)),
        ).to.deep.equal(Object.keys(expected));
        expect(await page.locator('#log tbody').getByText('Settings changed').count()).to.be.greaterThan(0);
        await sectionShot(page, 'Role map', '15-role-map-saved');
        expect(errors).to.deep.equal([]);
      });
    } finally {
      await demo!.identity.store.connectors.updateSettings(demo!.connector.id, { roleMap: before });
    }
  });

  it("shows the server's validation message beside its field (settings, role map and OpenID Connect), then saves the corrected rules", async function () {
    this.timeout(60_000);
    try {
      await inPage(async (page, errors) => {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        const rules = page.locator('#attribute-rules');
        await rules.getByRole('button', { name: 'Add required attribute' }).click();
        await rules.getByRole('textbox', { name: 'Required attribute' }).last().fill('shoeSize');
        await rules.getByRole('button', { name: 'Add allowed values' }).click();
        await rules.getByRole('textbox', { name: 'Attribute', exact: true }).last().fill('userType');
        await rules.getByRole('textbox', { name: 'Allowed values' }).last().fill('Premium, Standard');
        await rules.getByRole('button', { name: 'Save attribute rules' }).click();
        const required = rules.locator('fieldset[data-setting="requiredAttributes"]');
        const message = 'requiredAttributes: "shoeSize" is not an attribute of the User schema or its extensions';
        await required.locator('.field-error').getByText(message, { exact: true }).waitFor();
        expect(await required.getAttribute('aria-invalid')).to.equal('true');
        expect(await required.getAttribute('aria-describedby')).to.include('error-requiredAttributes');
        expect(await rules.locator('.field-error').count(), 'only beside the field at fault').to.equal(1);
        expect(await page.getByRole('region', { name: 'Attribute rules' }).getByRole('status').textContent()).to.equal(
          'Not saved: see the message in the form.',
        );
        expect((await connectorFromApi(page, demo!.connector.id)).settings).to.include({ uniqueEmail: false });
        expect((await connectorFromApi(page, demo!.connector.id)).settings.requiredAttributes).to.deep.equal([]);
        await sectionShot(page, 'Attribute rules', '16-validation-beside-field');

        // Corrected, with a condition and a rule of each kind: saved, the message gone.
        await rules.getByRole('textbox', { name: 'Required attribute' }).last().fill('name.givenName');
        await rules.getByRole('button', { name: 'Add required attribute' }).click();
        await rules
          .getByRole('textbox', { name: 'Required attribute' })
          .last()
          .fill('phoneNumbers[type eq "work"].value');
        await rules.getByRole('textbox', { name: 'Only when this attribute is sent' }).last().fill('phoneNumbers');
        await rules.getByRole('button', { name: 'Add create-only attribute' }).click();
        await rules.getByRole('textbox', { name: 'Create-only attribute' }).last().fill('locale');
        await rules.getByRole('checkbox', { name: 'Primary email unique per user' }).check();
        await rules.getByRole('button', { name: 'Save attribute rules' }).click();
        await page.getByText('Attribute rules saved: they apply to Entra’s next writes.').waitFor();
        expect(await page.locator('#attribute-rules .field-error').count()).to.equal(0);
        const saved = (await connectorFromApi(page, demo!.connector.id)).settings;
        expect(saved.requiredAttributes).to.deep.equal([
          'name.givenName',
          { path: 'phoneNumbers[type eq "work"].value', ifSent: 'phoneNumbers' },
        ]);
        expect(saved.allowedValues).to.deep.equal({ userType: ['Premium', 'Standard'] });
        expect(saved.createOnlyAttributes).to.deep.equal(['locale']);
        expect(saved.uniqueEmail).to.equal(true);

        // An added role row left without its value: the role map's own message.
        const roles = page.locator('#role-map');
        await roles.getByRole('button', { name: 'Add app role' }).click();
        await roles.getByRole('button', { name: 'Save role map' }).click();
        await roles
          .locator('fieldset[data-setting="roleMap"] .field-error')
          .getByText('roleMap: an app role value must not be empty')
          .waitFor();

        // OpenID Connect: the server's message beside the client id, not the browser's "Please fill out this field".
        const oidc = page.locator('#oidc');
        await oidc.getByLabel('Directory (tenant) ID').fill('3f1c2a9e-7b4d-4c8e-9a01-5d6e7f8a9b0c');
        await oidc.getByRole('button', { name: 'Save sign-in settings' }).click();
        const clientField = oidc.locator('.field').filter({ has: page.locator('#oidc-client') });
        await clientField
          .locator('.field-error')
          .getByText('clientId must be the Application (client) ID from the app registration')
          .waitFor();
        expect(await page.locator('#oidc-client').getAttribute('aria-invalid')).to.equal('true');
        expect(await page.locator('#oidc-client').getAttribute('aria-describedby')).to.equal('error-oidc-client');
        expect(await page.locator('#oidc-client').evaluate((e) => e === document.activeElement)).to.equal(true);
        await sectionShot(page, 'Single sign-on (OpenID Connect)', '17-oidc-error-beside-field');
        // The secret is next: its own message moves beside it.
        await page.locator('#oidc-client').fill('app-123');
        await oidc.getByRole('button', { name: 'Save sign-in settings' }).click();
        await oidc
          .locator('.field')
          .filter({ has: page.locator('#oidc-secret') })
          .locator('.field-error')
          .getByText(/^clientSecret is required/)
          .waitFor();
        expect(await oidc.locator('.field-error').count()).to.equal(1);
        expect(await page.locator('#oidc-client').getAttribute('aria-invalid')).to.equal(null);
        expect((await connectorFromApi(page, demo!.connector.id)).oidc.clientId).to.equal(null);
        expect(errors.filter((e) => !e.startsWith('400 '))).to.deep.equal([]);
      });
    } finally {
      await demo!.identity.store.connectors.updateSettings(demo!.connector.id, {
        requiredAttributes: [],
        allowedValues: {},
        createOnlyAttributes: [],
        uniqueEmail: false,
      });
    }
  });

  it('edits the extension sets: built-in extensions by name, a schema of its own by URN and attributes', async function () {
    this.timeout(60_000);
    const before = demo!.connector.settings.extensions;
    const urn = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
    try {
      await inPage(async (page, errors) => {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        const card = page.locator('#extensions');
        await card.getByRole('checkbox', { name: /\(metadata\)/ }).uncheck();
        await card.getByRole('button', { name: 'Add extension schema' }).click();
        await card.getByRole('textbox', { name: 'Schema URN' }).last().fill(urn);
        await card.getByRole('textbox', { name: 'Attributes' }).last().fill('site, costCenter:integer, tags[]');
        await card.getByRole('button', { name: 'Save extensions' }).click();
        await page.getByText('Extensions saved: /Schemas and the mapping sheet show them now.').waitFor();
        expect((await connectorFromApi(page, demo!.connector.id)).settings.extensions).to.deep.equal([
          ...before.filter((e) => e !== 'metadata'),
          {
            id: urn,
            attributes: [
              { name: 'site', type: 'string', multiValued: false },
              { name: 'costCenter', type: 'integer', multiValued: false },
              { name: 'tags', type: 'string', multiValued: true },
            ],
          },
        ]);
        // Shown again as it was written, and in Entra's mapping sheet.
        expect(
          await page.locator('#extensions').getByRole('textbox', { name: 'Attributes' }).first().inputValue(),
        ).to.equal('site, costCenter:integer, tags[]');
        expect(await page.locator('#entra-mapping').getByText(`${urn}:costCenter`).count()).to.equal(1);
        // A type the server does not know: its message inside the extensions fieldset.
        await page.locator('#extensions').getByRole('textbox', { name: 'Attributes' }).first().fill('site:text');
        await page.locator('#extensions').getByRole('button', { name: 'Save extensions' }).click();
        await page
          .locator('#extensions fieldset .field-error')
          .getByText(`extensions: "${urn}" has an invalid attribute`, { exact: false })
          .waitFor();
        await sectionShot(page, 'Extension attributes', '18-extensions');
        expect(errors.filter((e) => !e.startsWith('400 '))).to.deep.equal([]);
      });
    } finally {
      await demo!.identity.store.connectors.updateSettings(demo!.connector.id, { extensions: before });
    }
  });

  it('offers the log filter in words (one label per operation code) and filters by the code', async function () {
    this.timeout(60_000);
    await inPage(async (page, errors) => {
      await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
      const operation = page.getByLabel('Operation', { exact: true });
      const options = await operation
        .locator('option')
        .evaluateAll((list) => list.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
      expect(options).to.deep.include(['user.login-method', 'Login method switched']);
      expect(options).to.deep.include(['connector.settings', 'Settings changed']);
      expect(
        options.every(([value, text]) => value === '' || text !== value),
        'every code has words',
      ).to.equal(true);
      expect(new Set(options.map(([, text]) => text)).size, 'no two codes share words').to.equal(options.length);
      expect(await page.getByLabel('Outcome').locator('option').allTextContents()).to.deep.equal([
        'Any',
        'Succeeded',
        'Failed or refused',
      ]);
      await operation.selectOption({ label: 'Login method switched' });
      await page.getByLabel('Outcome').selectOption({ label: 'Succeeded' });
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/operation=user\.login-method/);
      expect(new URL(page.url()).searchParams.get('outcome')).to.equal('success');
      const cells = await page.locator('#log tbody tr td:nth-child(3)').allTextContents();
      expect(cells.length).to.be.greaterThan(0);
      for (const cell of cells) expect(cell).to.equal('Login method switcheduser.login-method');
      expect(await page.getByLabel('Operation', { exact: true }).locator('option:checked').textContent()).to.equal(
        'Login method switched',
      );
      await sectionShot(page, 'Provisioning log', '19-log-filter-labels');
      expect(errors).to.deep.equal([]);
    });
  });

  it('fits 1280 and 700 px wide windows: no sideways scrolling, the sign-in select shows its longest choice', async function () {
    this.timeout(60_000);
    for (const width of [1280, 700]) {
      const context = await browser!.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const errors = watchForErrors(page);
      try {
        await openAdminPage(page, ADMIN, ADMIN_PASSWORD);
        // The document is no wider than the window; what sticks out (tables scroll inside their own box) is named.
        const overflow = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          viewport: document.documentElement.clientWidth,
          wider: [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .filter((e) => !e.closest('.table-wrap'))
            .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
        }));
        expect(overflow.scroll, `page width at ${width}px`).to.be.at.most(overflow.viewport);
        expect(overflow.wider, `elements wider than ${width}px`).to.deep.equal([]);
        // The select is as wide as its longest choice needs (text + padding + the arrow), not cut off.
        const select = await page.getByLabel('New users sign in with').evaluate((element) => {
          const s = element as HTMLSelectElement;
          const style = getComputedStyle(s);
          const context2d = document.createElement('canvas').getContext('2d')!;
          context2d.font = style.font;
          const text = Math.max(...[...s.options].map((o) => context2d.measureText(o.text).width));
          const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
          return { text, padding, client: s.clientWidth, scroll: s.scrollWidth };
        });
        expect(select.scroll, `select scrollWidth at ${width}px`).to.be.at.most(select.client);
        expect(select.client, `select width at ${width}px`).to.be.at.least(select.text + select.padding + 16);
        for (const name of [
          'Save role map',
          'Save attribute rules',
          'Save extensions',
          'Save for new users',
          'Filter',
        ]) {
          const button = page.getByRole('button', { name, exact: true });
          await button.scrollIntoViewIfNeeded();
          expect(await button.isVisible(), `${name} at ${width}px`).to.equal(true);
          const box = (await button.boundingBox())!;
          expect(box.x + box.width, `${name} inside the window at ${width}px`).to.be.at.most(width);
        }
        for (const id of ['role-map', 'attribute-rules', 'extensions', 'log']) {
          const box = (await page.locator(`#${id}`).boundingBox())!;
          expect(box.x + box.width, `#${id} inside the window at ${width}px`).to.be.at.most(width);
        }
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, `20-admin-page-${width}px`);
        // Each new or changed part on its own, legible at full size.
        for (const title of [
          'Single sign-on (OpenID Connect)',
          'Role map',
          'Attribute rules',
          'Extension attributes',
          'Users',
          'Provisioning log',
        ])
          await sectionShot(page, title, `21-${width}px-${title.split(' ')[0].toLowerCase()}`);
        expect(errors).to.deep.equal([]);
      } finally {
        await context.close();
      }
    }
  });
});
