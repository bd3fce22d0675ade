import { adminScope, scopeAllows } from './authorize.js';
import { asyncRoute } from '../web/http.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Runtime } from '../web/runtime.js';
import { readCookies, setCookie } from '../web/cookies.js';

/** The request header the admin page sends its CSRF token in, on every request that is not GET, HEAD or OPTIONS. */
export const CSRF_HEADER = 'X-CSRF-Token';
/** The cookie holding the signed CSRF token the header must match (SameSite strict, HttpOnly, under the admin path). */
export const CSRF_COOKIE = 'idc_admin_csrf';
const PURPOSE = 'admin-csrf:';
const CSRF_TTL_MS = 12 * 60 * 60 * 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The admin API's error answer: `{ error, message }` with the status, where `error` is a stable code (the error
 * family's `code`).
 */
export function sendJsonError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

/**
 * Only admins (options.authorizeAdmin) reach the admin API; 403 JSON otherwise. Their scope rides
 * on the request for the routes to filter by (requests.ts scopedConnector, connectorsInScope).
 */
export function requireAdmin(runtime: Runtime): RequestHandler {
  return asyncRoute(async (req, res, next) => {
    const scope = await adminScope(runtime, req);
    if (!scope) return sendJsonError(res, 403, 'forbidden', 'platform administrators only');
    if (!scopeAllows(scope, req.method, req.path)) {
      return sendJsonError(
        res,
        403,
        'forbidden',
        'the Admin web role administers users, login methods and the log; connectors, OIDC and tokens need EnterpriseAdmin',
      );
    }
    req.identityAdminScope = scope;
    next();
  });
}

/**
 * CSRF protection for the admin API: a signed double-submit token, plus Fetch-Metadata/Origin checks.
 *
 * `GET /admin/api/csrf` returns `{ token }` and sets the same token in an HttpOnly, SameSite=Strict
 * cookie scoped to the admin path. Every unsafe request (POST/PUT/PATCH/DELETE) must echo it in
 * the `X-CSRF-Token` header, and the header must equal the cookie.
 * - A cross-site page cannot set a custom header without a CORS preflight we never grant, nor read
 *   the token; SameSite=Strict keeps the cookie off cross-site requests as a second layer.
 * - The token is HMAC-signed with the host's secret and bound to the signed-in admin (when the
 *   host provides currentUser), so a cookie planted from a sibling subdomain ("cookie tossing")
 *   or obtained by another admin does not verify: the naive double-submit weakness.
 * - A request whose Origin is not options.baseUrl, or whose Sec-Fetch-Site is `cross-site`, is
 *   refused outright; bodies must be JSON (HTML forms cannot send application/json).
 * Stateless, so it works behind a load balancer without a shared session store.
 */
export function csrfProtection(runtime: Runtime): { issue: RequestHandler; verify: RequestHandler } {
  const { options, secrets, logger } = runtime;
  const cookiePath = `${options.mountPath}/admin`;

  const binding = async (req: Request): Promise<string> => {
    const user = options.currentUser ? await options.currentUser(req) : undefined;
    return user ? `${user.connectorId}/${user.userId}` : '';
  };

  const issue = asyncRoute(async (req, res) => {
    const token = secrets.sign(`${PURPOSE}${await binding(req)}:${randomBytes(24).toString('base64url')}`);
    setCookie(res, options, CSRF_COOKIE, token, { path: cookiePath, maxAgeMs: CSRF_TTL_MS, sameSite: 'strict' });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token, header: CSRF_HEADER });
  });

  const verify = asyncRoute(async (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const refuse = (why: string) => {
      logger.warn('admin request refused by CSRF protection', {
        why,
        method: req.method,
        path: req.path,
        requestId: req.identityRequestId,
      });
      sendJsonError(
        res,
        403,
        'csrf',
        `request refused (${why}): fetch a token from GET ${cookiePath}/api/csrf and send it in the ${CSRF_HEADER} header`,
      );
    };
    const origin = req.get('origin');
    if (origin && origin !== options.baseUrl) return refuse('cross-origin request');
    if (req.get('sec-fetch-site') === 'cross-site') return refuse('cross-site request');
    const header = req.get(CSRF_HEADER);
    const cookie = readCookies(req).get(CSRF_COOKIE);
    if (!header || !cookie) return refuse('missing token');
    const a = Buffer.from(header);
    const b = Buffer.from(cookie);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse('token mismatch');
    const payload = secrets.unsign(cookie);
    if (!payload?.startsWith(PURPOSE)) return refuse('invalid token');
    const bound = payload.slice(PURPOSE.length, payload.lastIndexOf(':'));
    if (bound !== (await binding(req))) return refuse('token issued to another user');
    if (hasBody(req) && !req.is('application/json')) {
      return sendJsonError(res, 415, 'unsupported_media_type', 'send the body as application/json');
    }
    next();
  });

  return { issue, verify };
}

const hasBody = (req: Request) =>
  Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
