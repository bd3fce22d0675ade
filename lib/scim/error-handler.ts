import { errorFields } from '../runtime/log.js';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'winston';
import { IdentityConnectorError, InvalidInput, PolicyRefusal, Unavailable } from '../model/errors.js';
import { isDatabaseUnavailable, StoreError } from '../store/errors.js';
import { ScimError, type ScimType } from './errors.js';
import { SCIM_CONTENT_TYPE } from './http.js';

/** Every failure as a SCIM error value: status, scimType and a detail safe to show a client. */
export function toScimError(error: unknown, retryAfterSeconds = 5): ScimError {
  if (error instanceof ScimError) return error;
  if (isDatabaseUnavailable(error)) return storeUnavailable(retryAfterSeconds);
  if (error instanceof IdentityConnectorError) return fromFamily(error, retryAfterSeconds);
  const e = error as { type?: string; status?: number; statusCode?: number; name?: string };
  if (e?.type === 'entity.too.large') return new ScimError(413, 'request body is larger than this server accepts');
  if (e?.type === 'entity.parse.failed') return new ScimError(400, 'request body is not valid JSON', 'invalidSyntax');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return new ScimError(415, 'request body encoding is not supported; send UTF-8 JSON');
  if (e?.name === 'AuthenticationError' || e?.status === 401)
    return new ScimError(401, 'authentication required: send a valid SCIM bearer token in the Authorization header');
  // Express cannot decode a percent-encoded path segment (`/Users/%FF`).
  if (error instanceof URIError)
    return new ScimError(400, 'the request path is not valid percent-encoded UTF-8', 'invalidSyntax');
  // Other client errors raised below us (Express: undecodable path parameters; body-parser:
  // corrupt gzip/deflate/br, aborted bodies) keep their 4xx.
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new ScimError(status, 'the request could not be read', status === 400 ? 'invalidSyntax' : undefined);
  return new ScimError(500, 'internal server error');
}

/**
 * The connector's error family in SCIM's words: the error's own status, RFC 7644's scimType
 * where one fits, and a generic detail where the message is the operator's (`expose: false`).
 */
function fromFamily(error: IdentityConnectorError, retryAfterSeconds: number): ScimError {
  if (error instanceof Unavailable) return storeUnavailable(error.retryAfterSeconds ?? retryAfterSeconds);
  // The mass-deprovisioning guard answers 503, not 4xx: what Entra sends here is a real
  // deactivation or deletion (and 4xx to Entra's real requests is against our rule): a 4xx
  // fails the item for good and counts toward quarantining the job, which would stop creates
  // too. A 503 is retried by Entra's escrow, so once an admin confirms and resumes, the held
  // deprovisioning completes by itself; until then Entra's provisioning logs show the detail.
  // If the pause lasts, Entra may still quarantine the job: for a guard that is acceptable.
  if (error instanceof PolicyRefusal && error.code === 'paused')
    return new ScimError(503, error.message, undefined, PAUSED_RETRY_AFTER_SECONDS);
  if (error instanceof StoreError && error.code === 'version_mismatch')
    return new ScimError(412, `${error.message}; read it again and retry with its ETag`);
  if (error instanceof StoreError && error.code === 'invalid_configuration')
    return new ScimError(500, `connector misconfigured: ${error.message}`);
  if (!error.expose) return new ScimError(error.status, 'internal server error');
  return new ScimError(error.status, error.message, scimTypeOf(error));
}

/** RFC 7644 §3.12's scimType of a family error, where one fits (400s and uniqueness). */
function scimTypeOf(error: IdentityConnectorError): ScimType | undefined {
  if (error instanceof InvalidInput) return error.reason;
  if (error instanceof StoreError && error.code === 'invalid_query')
    return (error.detail.scimType as ScimType | undefined) ?? 'invalidValue';
  if (error.status === 409) return 'uniqueness';
  return error.status === 400 ? 'invalidValue' : undefined;
}

/** A pause waits for a person: Entra need not retry it every few seconds. */
const PAUSED_RETRY_AFTER_SECONDS = 600;

/**
 * 503: the client retries after the delay (Entra does). A write cut off by the database deadline
 * may still commit once the database answers; the retry then finds it (PUT and PATCH are
 * idempotent, a repeated POST meets 409 and Entra matches the existing user).
 */
export const storeUnavailable = (retryAfterSeconds: number) =>
  new ScimError(
    503,
    'the identity store is unavailable; retry after the Retry-After delay',
    undefined,
    retryAfterSeconds,
  );

/** While the database is away every request fails alike: one log line per interval says how many. */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

/**
 * The SCIM router's one error middleware: every error becomes an RFC 7644 §3.12 error body through
 * {@link toScimError}. Causes of 5xx go to the log with the request id, never to the client; while the database is
 * away, one log line per interval counts the 503s instead of one per request.
 */
export function scimErrorHandler(logger: Logger, retryAfterSeconds: number): ErrorRequestHandler {
  let unavailable = { loggedAt: 0, since: 0 };
  return (error, req, res, _next) => {
    // The database deadline may have answered already; the route's late outcome is dropped.
    if (res.headersSent) return;
    const scimError = toScimError(error, retryAfterSeconds);
    if (error instanceof PolicyRefusal) {
      // A paused connector's 503 is a decision, logged once when the guard paused it.
    } else if (scimError.status === 503) {
      unavailable.since += 1;
      if (Date.now() - unavailable.loggedAt >= UNAVAILABLE_LOG_INTERVAL_MS) {
        logger.error('scim requests answered 503: the identity store is unavailable', {
          requests: unavailable.since,
          ...errorFields(error),
        });
        unavailable = { loggedAt: Date.now(), since: 0 };
      }
    } else if (scimError.status >= 500) {
      // The cause goes to the log (never to the client), tagged with the request id.
      logger.error('scim request failed', {
        requestId: req.identityRequestId,
        connectorId: req.identityConnectorId ?? null,
        ...errorFields(error),
      });
    }
    sendScimError(res, scimError);
  };
}

/** Answers with a SCIM error body (RFC 7644 §3.12), its WWW-Authenticate or Retry-After header. */
export function sendScimError(res: Response, scimError: ScimError): void {
  // passport-http-bearer's challenge names the error (RFC 6750 §3: error="invalid_token"); keep it on a 401 only.
  if (scimError.status !== 401) res.removeHeader('WWW-Authenticate');
  else if (!res.hasHeader('WWW-Authenticate')) res.setHeader('WWW-Authenticate', 'Bearer realm="SCIM"');
  if (scimError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(scimError.retryAfterSeconds));
  res.status(scimError.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(scimError.toBody()));
}

/** A migration at start-up takes seconds; Entra waits this long before it asks again. */
const NOT_MIGRATED_RETRY_AFTER_SECONDS = 30;
/** The SCIM paths identity.router mounts the SCIM router at: /scim, /scim/v2 and /{endpoint}/scim. */
const SCIM_PATH = /^\/(?:[^/]+\/)?scim(?:\/|$)/i;

/**
 * The not-migrated 503 on a SCIM path, as a SCIM error body with Retry-After (for the web layer's
 * schema check, which answers other paths in plain text). False when the path is not SCIM's.
 */
export function answerScimNotMigrated(req: Request, res: Response, detail: string): boolean {
  if (!SCIM_PATH.test(req.path)) return false;
  sendScimError(res, new ScimError(503, detail, undefined, NOT_MIGRATED_RETRY_AFTER_SECONDS));
  return true;
}
