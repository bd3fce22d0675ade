import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { noticePage } from '../../views/sso.js';
import type { Runtime } from '../web/runtime.js';
import type { LoginMethod, StoredUser } from '../model/types.js';
import { prefersHtml } from '../web/http.js';
import { sendPage } from './http.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /**
     * Set by requireLoginMethod when the identifier matched users: those allowed on this route.
     * When one address is a user of several organizations with different login methods, the
     * host's own login must only accept these.
     */
    identityAllowedUsers?: StoredUser[];
  }
}

const MAX_IDENTIFIER_LENGTH = 320;
// Parsers skip a body that was already parsed, so running them after the host's is harmless.
const parsers = [express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' })];

/**
 * Guards a host login route so that users sign in only with their login method: on the host's
 * password route (`requireLoginMethod('builtin')`) a user whose login method is `sso` is refused
 * with a 403 that sends them to Microsoft Entra ID, even if a password exists for them.
 *
 * The user is identified by the form's `email` or `username` field. Unknown identifiers pass
 * through untouched, so the host's own login answers them as it answers any wrong password
 * (this middleware must not become an account-existence oracle for addresses it does not know).
 */
export function requireLoginMethod(runtime: Runtime) {
  return (method: LoginMethod): RequestHandler => {
    const check = async (req: Request, res: Response, next: NextFunction) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const raw = typeof body.email === 'string' && body.email.trim() ? body.email : body.username;
      const identifier = typeof raw === 'string' ? raw.trim() : '';
      if (!identifier || identifier.length > MAX_IDENTIFIER_LENGTH) return next();
      const users = await runtime.store.users.findAllByUserName(identifier);
      if (users.length === 0) return next();
      const allowed = users.filter((u) => u.loginMethod === method);
      if (allowed.length > 0) {
        res.locals.identityAllowedUsers = allowed;
        return next();
      }
      runtime.logger.info('login refused: wrong login method', { required: method, userIds: users.map((u) => u.id), requestId: req.identityRequestId });
      const reason = method === 'builtin' ? 'sso_login_method' : 'builtin_login_method';
      for (const user of users) {
        runtime.events.emit('login.failed', { connectorId: user.connectorId, userId: user.id, reason, requestId: req.identityRequestId });
        await runtime.audit.refusal({ actor: 'login-method', requestId: req.identityRequestId ?? null, status: 403 }, { connectorId: user.connectorId, operation: 'login', resourceType: 'User', resourceId: user.id, detail: reason });
      }
      return refuse(req, res, method, runtime.options.mountPath);
    };
    return (req, res, next) => {
      const run = () => { check(req, res, next).catch(next); };
      if (req.body !== undefined) return run();
      // The host may mount this before its own body parser.
      parsers[0](req, res, (error?: unknown) => {
        if (error) return next(error);
        parsers[1](req, res, (err?: unknown) => (err ? next(err) : run()));
      });
    };
  };
}

function refuse(req: Request, res: Response, required: LoginMethod, mountPath: string): void {
  const ssoUrl = `${mountPath}/sso/signin`;
  const message = required === 'builtin'
    ? 'This account signs in with Microsoft Entra ID (single sign-on), not with a password.'
    : 'This account signs in with a password, not with Microsoft Entra ID.';
  if (prefersHtml(req)) {
    sendPage(res, 403, noticePage({
      title: required === 'builtin' ? 'Sign in with Microsoft Entra ID' : 'Sign in with your password',
      message,
      link: required === 'builtin' ? { href: ssoUrl, text: 'Sign in with Microsoft' } : undefined,
    }));
    return;
  }
  res.status(403).json({
    error: required === 'builtin' ? 'sso_required' : 'password_required',
    message,
    ...(required === 'builtin' ? { signInUrl: ssoUrl } : {}),
  });
}
