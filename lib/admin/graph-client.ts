import * as oidc from 'openid-client';
import type { EntraPushSettings } from '../model/types.js';

/** Where a push goes and as which application: the connector's settings and credentials, decided by entra-push.ts. */
export interface GraphTarget {
  settings: EntraPushSettings;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** `http://` URLs (a local test server) only when the host allows insecure issuers. */
  allowInsecure: boolean;
}

/** A push that cannot start or go on: no token, or Graph refused the application itself (401/403). */
export class EntraPushError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EntraPushError';
  }
}

/** What Graph answered to one `POST /users`: the new object's id, or its error (`{"error": {"code", "message", "details"}}`). */
export type GraphCreateResult =
  | { ok: true; id: string }
  | { ok: false; status: number; code: string; message: string; detailCode?: string; target?: string };

const REQUEST_TIMEOUT_MS = 30_000;
/** The longest a Retry-After is honoured; Graph asks for seconds, rarely minutes. */
const MAX_RETRY_WAIT_MS = 120_000;
const RETRIED = new Set([429, 503, 504]);

/**
 * Seconds (`Retry-After: 7`) or an HTTP date, in milliseconds from now; undefined when absent or
 * unreadable (then the caller backs off exponentially, as Graph's throttling guidance says).
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Microsoft Graph as one application of one tenant: an app-only token from the client
 * credentials grant (openid-client; scope `{graph origin}/.default`), then `POST /users`. One
 * token serves a whole push (Entra's last an hour or more).
 */
export class GraphClient {
  private token: Promise<string> | undefined;

  constructor(private readonly target: GraphTarget) {
    for (const url of [target.settings.graphBaseUrl, target.settings.tokenUrl]) {
      if (new URL(url).protocol === 'http:' && !target.allowInsecure) {
        throw new EntraPushError(
          400,
          'insecure_url',
          `${url} is not https; http is accepted only with allowInsecureIssuer (local testing)`,
        );
      }
    }
  }

  /** The token, fetched once; a failure is an EntraPushError naming what the token endpoint said. */
  accessToken(): Promise<string> {
    this.token ??= this.fetchToken();
    return this.token;
  }

  private async fetchToken(): Promise<string> {
    const { settings, tenant, clientId, clientSecret, allowInsecure } = this.target;
    const tokenEndpoint = settings.tokenUrl.replace('{tenant}', encodeURIComponent(tenant));
    const config = new oidc.Configuration(
      { issuer: new URL(tokenEndpoint).origin, token_endpoint: tokenEndpoint },
      clientId,
      undefined,
      oidc.ClientSecretPost(clientSecret),
    );
    config.timeout = REQUEST_TIMEOUT_MS / 1000;
    if (allowInsecure && tokenEndpoint.startsWith('http:')) oidc.allowInsecureRequests(config);
    try {
      const response = await oidc.clientCredentialsGrant(config, {
        scope: `${new URL(settings.graphBaseUrl).origin}/.default`,
      });
      return response.access_token;
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError) {
        // e.g. invalid_client "AADSTS7000215: Invalid client secret provided."
        throw new EntraPushError(
          400,
          'token_refused',
          `the token endpoint refused the application: ${error.error}${error.error_description ? ` (${error.error_description.split('\n')[0]})` : ''}`,
        );
      }
      throw new EntraPushError(502, 'token_unavailable', `no token from ${tokenEndpoint}: ${(error as Error).message}`);
    }
  }

  /**
   * `POST {graphBaseUrl}/users`. 429 and 503/504 are retried after Retry-After (capped), up to
   * maxRetries times; so are network failures. 401 and 403 mean the application may not create
   * users (User.ReadWrite.All not granted): an EntraPushError, since no other user would fare better.
   */
  async createUser(body: Record<string, unknown>): Promise<GraphCreateResult> {
    const token = await this.accessToken();
    const { maxRetries, graphBaseUrl } = this.target.settings;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(`${graphBaseUrl}/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        if (attempt < maxRetries) {
          await sleep(backoffMs(attempt));
          continue;
        }
        return {
          ok: false,
          status: 0,
          code: 'network_error',
          message: `Graph did not answer: ${(error as Error).message}`,
        };
      }
      if (response.status === 201 || response.status === 200) {
        const created = (await response.json().catch(() => ({}))) as { id?: unknown };
        if (typeof created.id === 'string' && created.id) return { ok: true, id: created.id };
        return {
          ok: false,
          status: response.status,
          code: 'invalid_response',
          message: 'Graph created the user but answered no id',
        };
      }
      if (RETRIED.has(response.status) && attempt < maxRetries) {
        await response.body?.cancel();
        await sleep(
          Math.min(retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt), MAX_RETRY_WAIT_MS),
        );
        continue;
      }
      const failure = await graphError(response);
      if (response.status === 401 || response.status === 403)
        throw new EntraPushError(
          502,
          failure.code,
          `Graph refused the application (${response.status} ${failure.code}): ${failure.message}; grant it the User.ReadWrite.All application permission with admin consent`,
        );
      return failure;
    }
  }
}

/** 1 s, 2 s, 4 s…: Graph's advice when a throttled answer carries no Retry-After. */
const backoffMs = (attempt: number) => Math.min(1000 * 2 ** attempt, MAX_RETRY_WAIT_MS);

async function graphError(response: Response): Promise<Extract<GraphCreateResult, { ok: false }>> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code?: unknown; message?: unknown; details?: Array<{ code?: unknown; target?: unknown }> };
  };
  const error = body.error ?? {};
  const detail = Array.isArray(error.details) ? error.details[0] : undefined;
  return {
    ok: false,
    status: response.status,
    code: typeof error.code === 'string' ? error.code : `http_${response.status}`,
    message: typeof error.message === 'string' ? error.message : response.statusText,
    ...(typeof detail?.code === 'string' ? { detailCode: detail.code } : {}),
    ...(typeof detail?.target === 'string' ? { target: detail.target } : {}),
  };
}
