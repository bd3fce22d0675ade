/**
 * Debian's Chromium for the admin page's browser test, with the same launch flags and skip rule
 * as the SSO browser test (test/sso/browser.test.ts): skipped only when /usr/bin/chromium is
 * missing outside CI; in CI (CI=true) a missing browser fails the test instead.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
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

/** Call from a `before` hook: skips the suite when there is no browser to run (outside CI). */
export async function launchChromiumOrSkip(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
    console.warn(
      `    (skipped: ${CHROMIUM} is missing; install it with \`apt-get install -y chromium\`. In CI (CI=true) this test runs and fails instead.)`,
    );
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
