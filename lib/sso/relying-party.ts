import * as oidc from 'openid-client';
import type { Runtime } from '../web/runtime.js';
import type { Connector } from '../model/types.js';
import { redirectUri } from './configure.js';
import { ssoConfigured } from '../policy/login-method.js';
import { ClientSecretUnreadableError, InsecureIssuerError, type DiscoveryCache } from '../runtime/oidc-discovery.js';
import { refuse, type LoginRefusal } from './refusals.js';
import { TRANSACTION_TTL_MS, type AppRequest, type LoginTransaction } from './transaction-cookie.js';

/** `profile` brings `oid`, `tid`, `name` and `preferred_username`; `email` the optional email claim. */
const SCOPE = 'openid profile email';

/** The claims of a validated ID token (OpenID Connect Core 1.0 §2; Entra adds `oid`, `tid`, `upn`, `roles`). */
export type IdTokenClaims = oidc.IDToken;

/** A step of the flow's result: its value, or the refusal that ends the sign-in (never an exception). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: LoginRefusal };
const success = <T>(value: T): Outcome<T> => ({ ok: true, value });
const failure = (refusal: LoginRefusal): Outcome<never> => ({ ok: false, refusal });

/**
 * A started authorization code flow (OpenID Connect Core 1.0 §3.1): where to send the browser, and what the
 * transaction cookie keeps until the callback.
 */
export interface StartedLogin {
  authorizationUrl: URL;
  transaction: LoginTransaction;
}

/**
 * The OpenID Connect relying party: authorization code flow with PKCE (S256), `state` and
 * `nonce`, against one connector's Entra tenant. openid-client validates the authorization
 * response, redeems the code and checks the ID token (issuer, audience, expiry, nonce and,
 * because discovery enables non-repudiation checks, the signature against the provider's JWKS);
 * the tenant check is ours.
 */
export class RelyingParty {
  private readonly discovery: DiscoveryCache;

  constructor(private readonly runtime: Runtime) {
    this.discovery = runtime.discovery;
  }

  async start(
    connector: Connector,
    request: { returnTo: string; loginHint?: string; app?: AppRequest },
  ): Promise<Outcome<StartedLogin>> {
    const configured = await this.configuration(connector);
    if (!configured.ok) return configured;
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri(this.runtime.options),
      scope: SCOPE,
      response_type: 'code',
      response_mode: 'query',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (request.loginHint) parameters.login_hint = request.loginHint;
    return success({
      authorizationUrl: oidc.buildAuthorizationUrl(configured.value, parameters),
      transaction: {
        connectorId: connector.id,
        state,
        nonce,
        codeVerifier,
        returnTo: request.returnTo,
        expiresAt: Date.now() + TRANSACTION_TTL_MS,
        app: request.app,
      },
    });
  }

  /** Redeems the authorization response (the callback's query string) for validated ID token claims. */
  async complete(
    connector: Connector,
    transaction: LoginTransaction,
    callbackQuery: URLSearchParams,
  ): Promise<Outcome<IdTokenClaims>> {
    const configured = await this.configuration(connector);
    if (!configured.ok) return configured;
    // The redirect_uri sent to the token endpoint is derived from this URL, so build it from the
    // configured public origin, never from the Host header of the request behind a proxy.
    const currentUrl = new URL(redirectUri(this.runtime.options));
    for (const [key, value] of callbackQuery) currentUrl.searchParams.append(key, value);
    let claims: IdTokenClaims | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configured.value, currentUrl, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      return failure(refusalFromOidcError(error));
    }
    if (!claims) return failure(refuse('id_token_invalid', { detail: 'no id_token in the token response' }));
    const tenant = checkTenant(connector, claims);
    if (tenant) return failure(tenant);
    return success(claims);
  }

  /** Where to send the browser to end the Entra session, when the provider supports it. */
  async endSessionUrl(connector: Connector, postLogoutRedirectUri: string): Promise<URL | undefined> {
    const configured = await this.configuration(connector);
    if (!configured.ok || !configured.value.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(configured.value, { post_logout_redirect_uri: postLogoutRedirectUri });
  }

  private async configuration(connector: Connector): Promise<Outcome<oidc.Configuration>> {
    if (!ssoConfigured(connector)) return failure(refuse('sso_not_configured'));
    try {
      return success(await this.discovery.get(connector));
    } catch (error) {
      if (error instanceof InsecureIssuerError || error instanceof ClientSecretUnreadableError) {
        this.runtime.logger.error('sso is misconfigured', { connectorId: connector.id, error: error.message });
        return failure(refuse('sso_not_configured', { detail: error.message }));
      }
      this.runtime.logger.warn('oidc discovery failed', { connectorId: connector.id, error: describe(error) });
      return failure(refuse('provider_unavailable', { detail: describe(error) }));
    }
  }
}

/**
 * `tid` must be the connector's tenant. With a `common` or `organizations` issuer openid-client
 * accepts an ID token from any tenant (it rewrites the expected issuer with the token's own
 * `tid`), so without this check any Microsoft work account could sign in.
 */
function checkTenant(connector: Connector, claims: IdTokenClaims): LoginRefusal | undefined {
  const expected = connector.oidc.tenantId;
  if (!expected) return undefined;
  const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
  if (tid !== expected.toLowerCase()) return refuse('tenant_mismatch', { detail: `tid ${tid ?? '(none)'}` });
  return undefined;
}

type Cause = { code?: string; message?: string; cause?: { claim?: string } };

/** Maps openid-client / oauth4webapi failures to refusal reasons (their codes, and the claim that failed). */
export function refusalFromOidcError(error: unknown): LoginRefusal {
  if (error instanceof oidc.AuthorizationResponseError) return refuse('provider_error', { detail: error.error });
  if (error instanceof oidc.ResponseBodyError) {
    // invalid_grant: the code was already redeemed, expired, or the PKCE verifier does not match.
    if (error.error === 'invalid_grant') return refuse('code_rejected', { detail: error.error });
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client')
      return refuse('client_rejected', { detail: error.error });
    return refuse('code_rejected', { detail: error.error });
  }
  if (error instanceof oidc.ClientError) {
    const cause = (error.cause ?? {}) as Cause;
    const claim = cause.cause?.claim;
    switch (error.code) {
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
        if (claim === 'nonce') return refuse('nonce_mismatch');
        if (claim === 'aud' || claim === 'azp') return refuse('audience_mismatch', { detail: claim });
        if (claim === 'iss') return refuse('issuer_mismatch');
        return refuse('id_token_invalid', { detail: `claim ${claim}` });
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
        return claim === 'exp' ? refuse('token_expired') : refuse('id_token_invalid', { detail: `timestamp ${claim}` });
      case 'OAUTH_KEY_SELECTION_FAILED':
        return refuse('signature_invalid', { detail: 'no key in the JWKS matches the token' });
      case 'OAUTH_INVALID_RESPONSE':
        // oauth4webapi reports a bad signature, a wrong `state` and a wrong `iss` response
        // parameter under this one code; its message is the only discriminator.
        if (/signature/i.test(cause.message ?? '')) return refuse('signature_invalid');
        if (/"state"/.test(cause.message ?? '')) return refuse('state_mismatch');
        if (/"iss"/.test(cause.message ?? '')) return refuse('issuer_mismatch', { detail: 'iss response parameter' });
        return refuse('id_token_invalid', { detail: cause.message });
      case 'OAUTH_TIMEOUT':
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
        return refuse('provider_unavailable', { detail: error.code });
      default:
        return refuse('id_token_invalid', { detail: error.code ?? error.message });
    }
  }
  // fetch() failures: the token endpoint is unreachable.
  if (error instanceof TypeError && /fetch/i.test(error.message))
    return refuse('provider_unavailable', { detail: describe(error) });
  return refuse('id_token_invalid', { detail: describe(error) });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number'
      ? `${error.name} ${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}
