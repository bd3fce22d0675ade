import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDemoApp, type DemoApp } from '../../examples/host-app.js';
import type { StoredUser } from '../../lib/model/types.js';
import { launchChromiumOrSkip } from './chromium.js';

const ADMIN = 'admin@demo.local';
const ADMIN_PASSWORD = 'demo-admin-password-for-the-browser-test';
const SCREENSHOT = '/tmp/admin-page.png';

describe('The admin page in a real browser (demo host)', () => {
  let browser: Browser | undefined;
  let demo: DemoApp | undefined;
  let server: http.Server | undefined;
  let origin: string;
  let dir: string | undefined;
  let ssoUser: StoredUser;

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
      IDENTITY_SECRET_KEY: 'admin-page-browser-test-secret-key-0123456789',
      DEMO_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    app = demo.app;
    ssoUser = await demo.identity.users.create(demo.connector, {
      userName: 'sso.person@demo.local', displayName: 'SSO <Person>', emails: [{ type: 'work', value: 'sso.person@demo.local', primary: true }], active: true, roles: [{ value: 'User', primary: true }],
    }, { actor: 'test' }, { loginMethod: 'sso' });
  });

  after(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => { server!.closeAllConnections(); server!.close(() => resolve()); });
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
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('response', (r) => { if (r.url().includes('/identity/admin/api/') && r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    return errors;
  }

  it('signs in as the built-in admin, switches a user to built-in login and creates a token shown once', async function () {
    this.timeout(60_000);
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    try {
      const refused = await page.goto(`${origin}/identity/admin`);
      expect(refused!.status(), 'not signed in').to.equal(403);

      await page.goto(`${origin}/login`);
      await page.getByLabel('Email').fill(ADMIN);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${origin}/`);

      const response = await page.goto(`${origin}/identity/admin`);
      expect(response!.status()).to.equal(200);
      expect(response!.headers()['content-security-policy']).to.match(/script-src 'nonce-[^']+'/);
      expect(await page.getByRole('textbox', { name: 'SCIM Tenant URL' }).inputValue()).to.equal(`${origin}/identity/scim/v2`);
      expect(await page.getByRole('textbox', { name: 'Redirect URI' }).inputValue()).to.equal(`${origin}/identity/sso/callback`);

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
      expect(await demo!.identity.store.tokens.verify(token)).to.include({ connectorId: demo!.connector.id, label: 'rotation' });
      await page.getByText('Token created. Copy it now: it is not shown again.').waitFor();
      expect(await page.locator('#tokens tbody tr').count()).to.equal(2);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Shown once: a fresh render of the page no longer holds it.
      await page.reload();
      expect(await page.content()).to.not.include(token);
      expect(await page.locator('#new-token').isHidden()).to.equal(true);
      expect(errors, 'script errors or CSP violations').to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
