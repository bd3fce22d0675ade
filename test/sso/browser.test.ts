import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describeEachDatabase } from '../support/databases.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describeEachDatabase('Signing in from the sign-in page in a real browser', (db) => {
  let h: HostHarness;
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(60_000);
    if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
      console.warn(
        `    (skipped: ${CHROMIUM} is missing; install it with \`apt-get install -y chromium\`. In CI (CI=true) this test runs and fails instead.)`,
      );
      this.skip();
    }
    h = await startHostHarness(db);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it("types the email, signs in on the provider's login form and lands on the host signed in", async function () {
    this.timeout(60_000);
    const alice = await h.person({ claims: { name: 'Alice Example' } });
    const context = await browser!.newContext();
    const page = await context.newPage();
    try {
      await page.goto(h.url(`${MOUNT}/sso/signin?returnTo=%2F`));
      await page.getByLabel('Work email').fill(alice.login);
      await page.getByRole('button', { name: 'Continue' }).click();

      // The provider's login form, prefilled from login_hint.
      await page.waitForURL(`${h.provider.origin}/interaction/**`);
      expect(await page.locator('input[name="login"]').inputValue()).to.equal(alice.login);
      await page.locator('input[name="password"]').fill('correct horse battery staple');
      await page.getByRole('button', { name: 'Sign-in' }).click();

      await page.waitForURL(`${h.appOrigin}/`);
      expect(await page.locator('#signed-in-user').textContent()).to.equal(alice.login);
      const cookies = await context.cookies(h.appOrigin);
      expect(
        cookies.filter((c) => c.name.startsWith('idc_sso_tx_')),
        'transaction cookie consumed',
      ).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
