import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { isRegisteredAppRedirect } from '../model/app-redirect-uris.js';
import type { StoredUser } from '../model/types.js';
import type { ResolvedOptions } from '../runtime/options.js';
import type { IdentityStore } from '../store/index.js';
import { accessRefusal } from './account-matching.js';
import type { LoginRefusal } from './refusals.js';
import type { AppRequest } from './transaction-cookie.js';

/**
 * Sign-in for the platform's mobile and desktop apps, following RFC 8252 (OAuth 2.0 for Native
 * Apps): the app opens `{mountPath}/sso/app/login` in the system browser (never a web view) with
 * its redirect URI, its own PKCE challenge (S256) and state. The connector signs the person in
 * through Entra as for the web (its confidential client, its own PKCE, the tenant and nOAuth
 * checks, the same account matching), then hands the browser to the app's redirect URI with a
 * one-time code. The app redeems the code with its PKCE verifier at `{mountPath}/sso/app/token`,
 * where the host's `signInApp` hook issues the app's own session, as `signIn` does for browsers.
 * A code intercepted on its way to the app (another app claiming the scheme) is useless without
 * the verifier; it is used once and lives two minutes.
 */

/** How long the app has to redeem its code: the redirect and one request. */
export const APP_CODE_TTL_MS = 2 * 60 * 1000;
/** RFC 7636 §4.1/§4.2: 43–128 unreserved characters; an S256 challenge is 43 base64url characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE_LENGTH = 512;

/** The app's request as the connector keeps it, or what the page tells the person when it is refused. */
export type AppRequestRead = { ok: true; app: AppRequest } | { ok: false; message: string };

/**
 * The app's sign-in request (query of `/app/login`), or why it cannot be served. Never redirects
 * anywhere unregistered.
 */
export function readAppRequest(
  options: Pick<ResolvedOptions, 'appRedirectUris' | 'signInApp'>,
  query: Record<string, unknown>,
): AppRequestRead {
  if (!options.signInApp || options.appRedirectUris.length === 0) {
    return { ok: false, message: 'Sign-in for the mobile and desktop apps is not set up on this site.' };
  }
  const { redirect_uri: redirectUri, code_challenge: codeChallenge, code_challenge_method: method, state = '' } = query;
  if (typeof redirectUri !== 'string' || !isRegisteredAppRedirect(options.appRedirectUris, redirectUri)) {
    return { ok: false, message: "The app asked to return to an address not registered for this site's apps." };
  }
  if (method !== 'S256' || typeof codeChallenge !== 'string' || !CODE_CHALLENGE.test(codeChallenge)) {
    return { ok: false, message: "The app's request lacks a PKCE code challenge (S256)." };
  }
  if (typeof state !== 'string' || state.length > MAX_STATE_LENGTH) {
    return { ok: false, message: "The app's state is not valid." };
  }
  return { ok: true, app: { redirectUri, codeChallenge, state } };
}

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

/**
 * Issues the one-time code for a user the callback matched and admitted; answers the app's
 * redirect URI to send the browser to.
 */
export async function handOverToApp(
  store: IdentityStore,
  connectorId: string,
  user: StoredUser,
  matchedBy: string,
  app: AppRequest,
): Promise<string> {
  const code = randomBytes(32).toString('base64url');
  await store.appSignInCodes.issue({
    codeHash: hashOf(code),
    connectorId,
    userId: user.id,
    redirectUri: app.redirectUri,
    codeChallenge: app.codeChallenge,
    matchedBy,
    expiresAt: Date.now() + APP_CODE_TTL_MS,
  });
  const target = new URL(app.redirectUri);
  target.searchParams.set('code', code);
  target.searchParams.set('state', app.state);
  return target.href;
}

/** A redemption's outcome: the user and how it was matched, an OAuth error (RFC 6749 §5.2) or an access refusal. */
export type AppRedemption =
  | { ok: true; user: StoredUser; connectorId: string; matchedBy: string }
  | { ok: false; error: 'invalid_request' | 'invalid_grant'; description: string }
  | { ok: false; error: 'access_denied'; refusal: LoginRefusal; connectorId: string };

/**
 * Redeems a code (`code`, `code_verifier`, `redirect_uri`, as RFC 6749 §4.1.3 with RFC 7636): once,
 * before it expires, from the redirect URI it was sent to, with the verifier of the app's
 * challenge. The user is read again and the access rules applied again: an account deactivated or
 * switched to the built-in login in between does not get in.
 */
export async function redeemAppCode(store: IdentityStore, body: Record<string, unknown>): Promise<AppRedemption> {
  const { code, code_verifier: verifier, redirect_uri: redirectUri } = body;
  const strings = typeof code === 'string' && typeof verifier === 'string' && typeof redirectUri === 'string';
  if (!strings || code.length > 128) {
    return { ok: false, error: 'invalid_request', description: 'code, code_verifier and redirect_uri are required' };
  }
  // Taken out first: a wrong verifier spends the code, so it cannot be guessed at.
  const issued = await store.appSignInCodes.consume(hashOf(code));
  if (!issued) return { ok: false, error: 'invalid_grant', description: 'the code is unknown, expired or used' };
  if (issued.redirectUri !== redirectUri) {
    return { ok: false, error: 'invalid_grant', description: 'redirect_uri differs from the sign-in request' };
  }
  const challenge = CODE_VERIFIER.test(verifier) ? await oidc.calculatePKCECodeChallenge(verifier) : '';
  if (!sameText(challenge, issued.codeChallenge)) {
    return { ok: false, error: 'invalid_grant', description: 'code_verifier does not match the code challenge' };
  }
  const user = await store.users.get(issued.connectorId, issued.userId);
  if (!user) return { ok: false, error: 'invalid_grant', description: 'the account no longer exists' };
  const refusal = accessRefusal(user, 'app');
  if (refusal) return { ok: false, error: 'access_denied', refusal, connectorId: issued.connectorId };
  return { ok: true, user, connectorId: issued.connectorId, matchedBy: issued.matchedBy };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
