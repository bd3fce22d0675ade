import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import request from 'supertest';
import type { StoredUser } from '../../lib/model/types.js';
import { describeEachDatabase } from '../support/databases.js';
import { TestBrowser, type Page } from '../support/fixtures/browser.js';
import { MOUNT, startHostHarness, type HostHarness } from '../support/host-harness.js';
import { expectRefused } from '../sso/refusal-helpers.js';

const MOBILE_REDIRECT = 'com.example.platform:/oauth2redirect';
const DESKTOP_REDIRECT = 'http://127.0.0.1/callback';

/**
 * The modelled platform (002): Entra authenticates "users when they log in via our web portal or
 * apps"; the app registration gets a "Mobile and desktop applications" platform whose "Redirect URI
 * … is acquired from our portal". The apps sign in as RFC 8252 says: in the system browser, with
 * PKCE, at a private-use scheme (mobile) or a loopback port (desktop). The connector completes the
 * Entra sign-in, hands the app a one-time code, and the host's `signInApp` hook issues the app's
 * session when the app redeems it with its verifier. Login method and roles apply as on the web,
 * except that apps need no web role: "users … will only be granted app login access" by default.
 */
describeEachDatabase('The modelled platform: sign-in of the mobile and desktop apps', (db) => {
  let h: HostHarness;
  const issued: Array<{ user: StoredUser; token: string }> = [];
  before(async () => {
    h = await startHostHarness(db, {
      appRedirectUris: [MOBILE_REDIRECT, DESKTOP_REDIRECT],
      // The host's own app session: here a random token the test remembers.
      signInApp: (_req, user) => {
        const token = `app-session-${issued.length + 1}-${user.id}`;
        issued.push({ user, token });
        return { access_token: token, token_type: 'Bearer', web_role: user.webRole };
      },
    });
  });
  after(async () => {
    await h?.close();
  });

  /** What the app does before opening the system browser: its own PKCE pair and state. */
  async function appRequest(redirectUri: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const query = new URLSearchParams({
      connector: h.connector.id,
      redirect_uri: redirectUri,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    return { verifier, state, url: h.url(`${MOUNT}/sso/app/login?${query}`) };
  }

  /** The system browser: start URL → provider login → connector callback → (stopping at) the app's redirect URI. */
  async function systemBrowser(
    start: string,
    login: string,
    stopAt: (url: string) => boolean,
  ): Promise<{ page: Page; browser: TestBrowser }> {
    const browser = new TestBrowser();
    let page = await browser.follow(start, { stopAt });
    if (page.status === 200 && page.url.startsWith(`${h.provider.origin}/interaction/`)) {
      page = await browser.follow(page.url, { form: { prompt: 'login', login, password: 'any password' }, stopAt });
    }
    return { page, browser };
  }
  const redeem = (body: Record<string, string>) =>
    request(h.appOrigin).post(`${MOUNT}/sso/app/token`).type('form').send(body);

  it("shows the mobile and desktop redirect URIs on the connector's admin page", async () => {
    const page = await request(h.appOrigin)
      .get(`${MOUNT}/admin/connectors/${h.connector.id}`)
      .set('x-test-admin', 'yes')
      .set('Accept', 'text/html')
      .expect(200);
    expect(page.text)
      .to.include('Mobile and desktop applications redirect URI')
      .and.include(`value="${MOBILE_REDIRECT}"`)
      .and.include(`value="${DESKTOP_REDIRECT}"`);
  });

  it("desktop: the loopback redirect (any port) receives the code on a real socket; the app redeems it for the host's session", async () => {
    const alice = await h.person();
    const received: URL[] = [];
    const desktopApp = http.createServer((req, res) => {
      received.push(new URL(req.url!, 'http://127.0.0.1'));
      res.end('You can close this window.');
    });
    await new Promise<void>((resolve) => desktopApp.listen(0, '127.0.0.1', resolve));
    try {
      const redirectUri = `http://127.0.0.1:${(desktopApp.address() as AddressInfo).port}/callback`;
      const app = await appRequest(redirectUri);
      const { page } = await systemBrowser(app.url, alice.login, () => false);
      expect(page.body).to.equal('You can close this window.');
      const [callback] = received;
      expect(callback.searchParams.get('state')).to.equal(app.state);
      const answer = await redeem({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        code_verifier: app.verifier,
        redirect_uri: redirectUri,
      }).expect(200);
      expect(answer.headers['cache-control']).to.equal('no-store');
      expect(answer.body).to.deep.equal({ access_token: issued.at(-1)!.token, token_type: 'Bearer', web_role: 'User' });
      expect(issued.at(-1)!.user.id).to.equal(alice.user!.id);
      expect(h.loginEvents.succeeded.at(-1)).to.include({ connectorId: h.connector.id, userId: alice.user!.id });
      const [entry] = await h.store.audit.list(h.connector.id, { operation: 'login', limit: 1 });
      expect(entry).to.include({ outcome: 'success', resourceId: alice.user!.id, detail: 'matched by oid (app)' });
    } finally {
      await new Promise<void>((resolve) => desktopApp.close(() => resolve()));
    }
  });

  it('mobile: a user with no role (app login only) signs in to the app at its private-use scheme, though not to the web portal', async () => {
    const bob = await h.person({ provision: { webRole: null } });
    const app = await appRequest(MOBILE_REDIRECT);
    const { page } = await systemBrowser(app.url, bob.login, (url) => url.startsWith(MOBILE_REDIRECT));
    const handedOver = new URL(page.headers.get('location')!);
    expect(`${handedOver.protocol}${handedOver.pathname}`).to.equal(MOBILE_REDIRECT);
    const answer = await redeem({
      code: handedOver.searchParams.get('code')!,
      code_verifier: app.verifier,
      redirect_uri: MOBILE_REDIRECT,
    }).expect(200);
    expect(answer.body).to.include({ web_role: null });

    const web = await systemBrowser(h.url(`${MOUNT}/sso/login?connector=${h.connector.id}`), bob.login, () => false);
    await expectRefused(h, web.browser, web.page, 'no_web_role');
  });

  it('a user whose login method is built-in is refused in the browser; no code reaches the app', async () => {
    const carol = await h.person({ provision: { loginMethod: 'builtin' } });
    const app = await appRequest(MOBILE_REDIRECT);
    const { page, browser } = await systemBrowser(app.url, carol.login, (url) => url.startsWith(MOBILE_REDIRECT));
    await expectRefused(h, browser, page, 'builtin_login_method');
  });

  it("a code is redeemed once, only with the app's verifier and redirect URI; a wrong verifier spends it", async () => {
    const dave = await h.person();
    const codeFor = async () => {
      const app = await appRequest(MOBILE_REDIRECT);
      const { page } = await systemBrowser(app.url, dave.login, (url) => url.startsWith(MOBILE_REDIRECT));
      return { app, code: new URL(page.headers.get('location')!).searchParams.get('code')! };
    };
    const first = await codeFor();
    await redeem({ code: first.code, code_verifier: first.app.verifier, redirect_uri: MOBILE_REDIRECT }).expect(200);
    expect(
      (await redeem({ code: first.code, code_verifier: first.app.verifier, redirect_uri: MOBILE_REDIRECT }).expect(400))
        .body.error,
    ).to.equal('invalid_grant');

    const second = await codeFor();
    const intercepted = await redeem({
      code: second.code,
      code_verifier: oidc.randomPKCECodeVerifier(),
      redirect_uri: MOBILE_REDIRECT,
    }).expect(400);
    expect(intercepted.body).to.include({ error: 'invalid_grant' });
    await redeem({ code: second.code, code_verifier: second.app.verifier, redirect_uri: MOBILE_REDIRECT }).expect(400);

    const third = await codeFor();
    await redeem({ code: third.code, code_verifier: third.app.verifier, redirect_uri: DESKTOP_REDIRECT }).expect(400);
    expect((await redeem({ code: 'x' }).expect(400)).body.error).to.equal('invalid_request');
  });

  it('re-checks the account at redemption: deactivated in between → 403 access_denied', async () => {
    const erin = await h.person();
    const app = await appRequest(MOBILE_REDIRECT);
    const { page } = await systemBrowser(app.url, erin.login, (url) => url.startsWith(MOBILE_REDIRECT));
    await h.runtime.users.update(h.connector, erin.user!.id, 'user.patch', (u) => ({ ...u.document, active: false }), {
      actor: 'test',
    });
    const refused = await redeem({
      code: new URL(page.headers.get('location')!).searchParams.get('code')!,
      code_verifier: app.verifier,
      redirect_uri: MOBILE_REDIRECT,
    }).expect(403);
    expect(refused.body).to.include({ error: 'access_denied', reason: 'user_inactive' });
  });

  it("never redirects to an unregistered redirect URI, and requires the app's PKCE challenge (400, no redirect)", async () => {
    for (const redirectUri of [
      'com.evil.app:/callback',
      'https://evil.example/callback',
      'http://localhost/callback',
    ]) {
      const app = await appRequest(redirectUri);
      const page = await new TestBrowser().request(app.url);
      expect(page.status, redirectUri).to.equal(400);
      expect(page.headers.get('location')).to.equal(null);
    }
    const plain = await new TestBrowser().request(
      h.url(
        `${MOUNT}/sso/app/login?connector=${h.connector.id}&redirect_uri=${encodeURIComponent(MOBILE_REDIRECT)}&code_challenge=abc&code_challenge_method=plain`,
      ),
    );
    expect(plain.status).to.equal(400);
    expect(plain.body).to.include('PKCE');
  });
});
