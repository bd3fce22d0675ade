import { expect } from 'chai';
import type { Request } from 'express';
import { TransactionCookie } from '../../lib/sso/transaction-cookie.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser } from '../support/fixtures/browser.js';
import { obtainIdToken } from '../support/fixtures/obtain-id-token.js';
import { COOKIE as SESSION_COOKIE } from '../support/fixtures/sessions.js';
import { generateSigningJwks, startTestProvider, type TestProvider } from '../support/fixtures/oidc-provider.js';
import { startShiftedClockProvider } from '../support/fixtures/shifted-clock-provider.js';
import {
  locationOf,
  MOUNT,
  OTHER_CLIENT_ID,
  OTHER_CLIENT_SECRET,
  OTHER_TENANT,
  RP_CLIENT_ID,
  RP_CLIENT_SECRET,
  startHostHarness,
  type Person,
  type HostHarness,
} from '../support/host-harness.js';
import { expectRefused } from './refusal-helpers.js';

describeEachDatabase('Refusing a sign-in that fails the protocol checks', (db) => {
  let h: HostHarness;
  let alice: Person;
  /** Same signing keys as the connector's provider, but another issuer identifier. */
  let otherIssuer: TestProvider;
  /** Claims to be the connector's provider (same issuer), but signs with other keys (same kid). */
  let impostor: TestProvider;
  /** The connector's provider, same keys and issuer, with a clock 10 minutes behind. */
  let lateClock: { origin: string; close(): Promise<void> };

  const loginUrl = () => h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`);

  before(async function () {
    this.timeout(60_000);
    h = await startHostHarness(db);
    alice = await h.person();
    otherIssuer = await startTestProvider({ jwks: h.provider.jwks, clients: h.clients, accounts: h.accounts });
    impostor = await startTestProvider({
      issuer: h.provider.issuer,
      jwks: generateSigningJwks(String(h.provider.jwks.keys[0].kid)),
      clients: h.clients,
      accounts: h.accounts,
    });
    lateClock = await startShiftedClockProvider({
      issuer: h.provider.issuer,
      jwks: h.provider.jwks,
      clients: h.clients,
      accounts: [...h.accounts],
      idTokenTtlSeconds: 60,
      clockShiftMs: -10 * 60 * 1000,
    });
  });
  after(async () => {
    await Promise.all([otherIssuer?.close(), impostor?.close(), lateClock?.close()]);
    await h?.close();
  });

  /** A sign-in stopped where Entra redirects back: the callback URL, with the transaction cookie in the browser. */
  async function callbackFor(browser: TestBrowser, person: Person): Promise<URL> {
    return new URL(locationOf(await h.signIn(browser, loginUrl(), person.login, { stopAtCallback: true })));
  }

  /** Runs the sign-in, but the token endpoint answers with `mint(nonce)` as the ID token. */
  async function signInWithIdToken(browser: TestBrowser, person: Person, mint: (nonce: string) => Promise<string>) {
    const authorize = new URL(locationOf(await browser.request(loginUrl())));
    const idToken = await mint(authorize.searchParams.get('nonce')!);
    h.provider.tokenResponseHook = (body) => ({ ...body, id_token: idToken });
    try {
      return await h.signIn(browser, authorize.href, person.login);
    } finally {
      h.provider.tokenResponseHook = undefined;
    }
  }

  describe('the state parameter', () => {
    it('refuses a callback without state (400 state_missing)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      callback.searchParams.delete('state');
      await expectRefused(h, browser, await browser.follow(callback.href), 'state_missing');
    });

    it('refuses a callback whose state was altered (400 state_mismatch)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      const state = callback.searchParams.get('state')!;
      callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
      await expectRefused(h, browser, await browser.follow(callback.href), 'state_mismatch');
    });

    it('refuses a callback for a sign-in this browser did not start (400 transaction_missing)', async () => {
      const callback = await callbackFor(new TestBrowser(), alice);
      const otherBrowser = new TestBrowser();
      await expectRefused(h, otherBrowser, await otherBrowser.follow(callback.href), 'transaction_missing');
    });

    it('refuses a transaction cookie whose signature does not verify (400 state_mismatch)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      const cookie = browser.cookies.find((c) => c.name.startsWith('idc_sso_tx_'))!;
      const [payload, signature] = decodeURIComponent(cookie.value).split('.');
      const forged = JSON.parse(Buffer.from(payload.replace(/^sso-tx:/, ''), 'base64url').toString());
      forged.r = '/forged';
      cookie.value = encodeURIComponent(
        `sso-tx:${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`,
      );
      await expectRefused(h, browser, await browser.follow(callback.href), 'state_mismatch');
    });

    it('treats a transaction older than 10 minutes as expired', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      const req = { headers: { cookie: browser.cookieHeader(callback) } } as unknown as Request;
      const cookies = new TransactionCookie(h.runtime.options, h.runtime.secrets);
      const state = callback.searchParams.get('state')!;
      expect(cookies.read(req, state)).to.include({ ok: true });
      expect(cookies.read(req, state, Date.now() + 10 * 60 * 1000 + 1000)).to.deep.include({
        ok: false,
        reason: 'transaction_expired',
      });
    });

    it('keeps two sign-ins started in two tabs apart', async () => {
      const browser = new TestBrowser();
      const first = new URL(locationOf(await browser.request(loginUrl())));
      const second = await callbackFor(browser, alice);
      expect(first.searchParams.get('state')).to.not.equal(second.searchParams.get('state'));
      const page = await browser.follow(second.href);
      expect(page.body).to.include('signed-in-user');
    });
  });

  describe('the authorization code', () => {
    it('refuses a replayed code, even with the original transaction cookie (400 code_rejected)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      const transaction = browser.cookies.find((c) => c.name.startsWith('idc_sso_tx_'))!;
      const first = await browser.follow(callback.href);
      expect(first.body).to.include('signed-in-user');
      const attacker = new TestBrowser();
      attacker.cookies.push({ ...transaction });
      await expectRefused(h, attacker, await attacker.follow(callback.href), 'code_rejected');
    });

    it('refuses a replayed callback without the (consumed) cookie (400 transaction_missing)', async () => {
      const browser = new TestBrowser();
      const callback = await callbackFor(browser, alice);
      expect((await browser.follow(callback.href)).body).to.include('signed-in-user');
      // Forget the host session, so the check below sees whether the replay signs anyone in.
      browser.cookies = browser.cookies.filter((c) => c.name !== SESSION_COOKIE);
      await expectRefused(h, browser, await browser.follow(callback.href), 'transaction_missing');
    });

    it('reports an error answered by the provider, e.g. a cancelled sign-in (400 provider_error)', async () => {
      const browser = new TestBrowser();
      const loginForm = await browser.follow(loginUrl());
      expect(loginForm.url).to.include('/interaction/');
      const page = await browser.follow(`${loginForm.url}/abort`);
      await expectRefused(h, browser, page, 'provider_error');
    });
  });

  describe('the ID token', () => {
    it('refuses an ID token whose nonce is not the one this sign-in sent (400 nonce_mismatch)', async () => {
      const browser = new TestBrowser();
      const authorize = new URL(locationOf(await browser.request(loginUrl())));
      authorize.searchParams.set('nonce', 'a-nonce-chosen-by-an-attacker');
      await expectRefused(h, browser, await h.signIn(browser, authorize.href, alice.login), 'nonce_mismatch');
    });

    it('refuses an ID token issued to another application (400 audience_mismatch)', async () => {
      const browser = new TestBrowser();
      const page = await signInWithIdToken(browser, alice, (nonce) =>
        obtainIdToken({
          origin: h.provider.origin,
          clientId: OTHER_CLIENT_ID,
          clientSecret: OTHER_CLIENT_SECRET,
          redirectUri: h.callbackUrl,
          nonce,
          login: alice.login,
        }),
      );
      await expectRefused(h, browser, page, 'audience_mismatch');
    });

    it('refuses an expired ID token (400 token_expired)', async () => {
      const browser = new TestBrowser();
      const page = await signInWithIdToken(browser, alice, (nonce) =>
        obtainIdToken({
          origin: lateClock.origin,
          clientId: RP_CLIENT_ID,
          clientSecret: RP_CLIENT_SECRET,
          redirectUri: h.callbackUrl,
          nonce,
          login: alice.login,
        }),
      );
      await expectRefused(h, browser, page, 'token_expired');
    });

    it('refuses an ID token from another issuer, even signed with the right keys (400 issuer_mismatch)', async () => {
      const browser = new TestBrowser();
      const page = await signInWithIdToken(browser, alice, (nonce) =>
        obtainIdToken({
          origin: otherIssuer.origin,
          clientId: RP_CLIENT_ID,
          clientSecret: RP_CLIENT_SECRET,
          redirectUri: h.callbackUrl,
          nonce,
          login: alice.login,
        }),
      );
      await expectRefused(h, browser, page, 'issuer_mismatch');
    });

    it("verifies the signature against the provider's JWKS (400 signature_invalid)", async () => {
      const browser = new TestBrowser();
      const page = await signInWithIdToken(browser, alice, (nonce) =>
        obtainIdToken({
          origin: impostor.origin,
          clientId: RP_CLIENT_ID,
          clientSecret: RP_CLIENT_SECRET,
          redirectUri: h.callbackUrl,
          nonce,
          login: alice.login,
        }),
      );
      await expectRefused(h, browser, page, 'signature_invalid');
    });

    it('refuses an account of another Entra tenant (403 tenant_mismatch)', async () => {
      const mallory = await h.person({ claims: { tid: OTHER_TENANT } });
      const browser = new TestBrowser();
      await expectRefused(h, browser, await h.signIn(browser, loginUrl(), mallory.login), 'tenant_mismatch');
    });
  });
});
