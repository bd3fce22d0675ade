import { expect } from 'chai';
import type { LoginRefusalReason } from '../../lib/sso/refusals.js';
import { REFUSAL_TEXT } from '../../lib/sso/refusals.js';
import type { Page, TestBrowser } from '../support/fixtures/browser.js';
import { COOKIE as SESSION_COOKIE } from '../support/fixtures/sessions.js';
import type { HostHarness } from '../support/host-harness.js';

/**
 * A refused sign-in: a clear HTML page with the status for the reason, a `login.failed` event,
 * an audit entry (actor sso, operation login, outcome failure, detail = reason) and nobody signed in.
 */
export async function expectRefused(
  h: HostHarness,
  browser: TestBrowser,
  page: Page,
  reason: LoginRefusalReason,
): Promise<void> {
  const status = REFUSAL_TEXT[reason].status;
  expect(page.status, `status of ${page.url}\n${page.body.slice(0, 400)}`).to.equal(status);
  expect(page.headers.get('content-type')).to.match(/^text\/html/);
  expect(page.body).to.include(REFUSAL_TEXT[reason].title.replace(/'/g, '&#39;'));
  expect(page.body).to.include(`Reference: ${reason}`);
  expect(h.loginEvents.failed.at(-1)?.reason).to.equal(reason);
  const [entry] = await h.store.audit.list(null, { operation: 'login', limit: 1 });
  expect(entry).to.include({ actor: 'sso', operation: 'login', outcome: 'failure', detail: reason, status });
  const sid = browser.cookie(new URL(h.appOrigin).host, SESSION_COOKIE)?.value;
  expect(sid ? h.sessions.data.get(sid)?.user : undefined, 'signed-in user after a refusal').to.equal(undefined);
}
