import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Runtime } from '../web/runtime.js';
import type { LoginMethod, StoredUser } from '../model/types.js';
import { KEY_LENGTH } from '../model/limits.js';
import { refuse } from '../web/refuse.js';
import { signInUrl } from '../web/sign-in-url.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /**
     * Set by requireLoginMethod when the submitted identifiers matched users: those allowed on
     * this route. When one address is a user of several organizations with different login
     * methods, the host's own login must sign in only one of these.
     */
    identityAllowedUsers?: StoredUser[];
  }
}

/** The form fields a login form names the account by; a host adds its own with `fields`. */
const IDENTIFIER_FIELDS = ['email', 'username', 'userName', 'login'];
// Parsers skip a body that was already parsed, so running them after the host's is harmless.
const parsers = [express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' })];

/** The account the host is about to sign in: by id, or by what the person typed (userName or any email). */
export type LoginMethodTarget =
  | {
      /** The user's connector. */
      connectorId: string;
      /** The user's id. */
      userId: string;
    }
  | string;

/** The answer of `identity.checkLoginMethod`: whether to go on, and with which of the users the target named. */
export interface LoginMethodCheck {
  /** False when the target names users here and none of them signs in this way: refuse the sign-in. */
  allowed: boolean;
  /** The users it names that sign in this way: the host must sign in one of these, no other. */
  allowedUsers: StoredUser[];
  /** The users it names that sign in the other way (refused, audited as `login` failures). */
  refusedUsers: StoredUser[];
}

/**
 * Whether the account(s) a sign-in names may sign in with this method: what the host calls once
 * it knows who is signing in (the primary check; requireLoginMethod is a convenience over it).
 * An identifier is matched against userName and every email of every user, in any letter case.
 * One that names nobody here is allowed with no users: the host's own accounts stay the host's,
 * and its login answers them as it answers any wrong password (no account-existence oracle).
 */
export function checkLoginMethod(runtime: Runtime) {
  return async (target: LoginMethodTarget, method: LoginMethod, requestId?: string): Promise<LoginMethodCheck> => {
    // A host that hands over req.body.email unchecked may pass an array or an object: never "nobody here".
    if (!isTarget(target)) {
      runtime.logger.info('login refused: the account is not named by a string', { required: method, requestId });
      return { allowed: false, allowedUsers: [], refusedUsers: [] };
    }
    const users = await named(runtime, target);
    const allowedUsers = users.filter((u) => u.loginMethod === method);
    const refusedUsers = users.filter((u) => u.loginMethod !== method);
    const allowed = users.length === 0 || allowedUsers.length > 0;
    if (!allowed) {
      runtime.logger.info('login refused: wrong login method', {
        required: method,
        userIds: users.map((u) => u.id),
        requestId,
      });
      const reason = method === 'builtin' ? 'sso_login_method' : 'builtin_login_method';
      for (const user of users) await runtime.signIns.refusedForMethod(user, reason, requestId);
    }
    return { allowed, allowedUsers, refusedUsers };
  };
}

function isTarget(target: unknown): target is LoginMethodTarget {
  if (typeof target === 'string') return true;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return false;
  const ids = target as Record<string, unknown>;
  return typeof ids.connectorId === 'string' && typeof ids.userId === 'string';
}

async function named(runtime: Runtime, target: LoginMethodTarget): Promise<StoredUser[]> {
  if (typeof target !== 'string') {
    const user = await runtime.store.users.get(target.connectorId, target.userId);
    return user ? [user] : [];
  }
  const identifier = target.trim();
  // Longer than the key columns hold: no userName or email can match it.
  if (!identifier || identifier.length > KEY_LENGTH) return [];
  return runtime.store.users.findAllByIdentifier(identifier);
}

/**
 * Guards a host login route so that users sign in only with their login method: on the host's
 * password route (`requireLoginMethod('builtin')`) a user whose login method is `sso` is refused
 * with a 403 that sends them to Microsoft Entra ID, even if a password exists for them.
 *
 * Every identifier field present is checked (`email`, `username`, `userName`, `login`, and the
 * host's own `fields`): whichever one the host's login then reads, a refused account cannot slip
 * through another field. A field present with anything but one string (an array, e.g. a form field
 * given twice, an object, a number, null) is refused with a 400, so after the guard each of those
 * fields is either absent or a single string. When accounts are allowed, res.locals.identityAllowedUsers lists them and the
 * host must sign in only one of those. Prefer calling checkLoginMethod in the login handler
 * itself, with the account the host actually resolved.
 */
export function requireLoginMethod(runtime: Runtime) {
  const check = checkLoginMethod(runtime);
  return (method: LoginMethod, options: { fields?: string[] } = {}): RequestHandler => {
    const fields = [...new Set([...IDENTIFIER_FIELDS, ...(options.fields ?? [])])];
    const guard = async (req: Request, res: Response, next: NextFunction) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      // An array (a field repeated in a form, or JSON), an object or a number is refused, not skipped:
      // the host's handler may read String(req.body.email) and find an account this guard never checked.
      const malformed = fields.find((f) => body[f] !== undefined && typeof body[f] !== 'string');
      if (malformed) return refuseMalformed(req, res, malformed);
      const identifiers = [
        ...new Set(fields.map((f) => body[f]).filter((v): v is string => typeof v === 'string' && v.trim() !== '')),
      ];
      const allowedUsers = new Map<string, StoredUser>();
      for (const identifier of identifiers) {
        const result = await check(identifier, method, req.identityRequestId);
        if (!result.allowed) return refuseMethod(req, res, method, runtime.options.mountPath);
        for (const user of result.allowedUsers) allowedUsers.set(user.id, user);
      }
      if (allowedUsers.size > 0) res.locals.identityAllowedUsers = [...allowedUsers.values()];
      return next();
    };
    return (req, res, next) => {
      const run = () => {
        guard(req, res, next).catch(next);
      };
      if (req.body !== undefined) return run();
      // The host may mount this before its own body parser.
      parsers[0](req, res, (error?: unknown) => {
        if (error) return next(error);
        parsers[1](req, res, (err?: unknown) => (err ? next(err) : run()));
      });
    };
  };
}

function refuseMalformed(req: Request, res: Response, field: string): void {
  refuse(req, res, {
    status: 400,
    title: 'Sign-in form not understood',
    message: `The field "${field}" must be given once, as text.`,
    error: 'invalid_request',
  });
}

function refuseMethod(req: Request, res: Response, required: LoginMethod, mountPath: string): void {
  const ssoUrl = signInUrl(mountPath);
  const sso = required === 'builtin';
  refuse(req, res, {
    status: 403,
    title: sso ? 'Sign in with Microsoft Entra ID' : 'Sign in with your password',
    message: sso
      ? 'This account signs in with Microsoft Entra ID (single sign-on), not with a password.'
      : 'This account signs in with a password, not with Microsoft Entra ID.',
    error: sso ? 'sso_required' : 'password_required',
    link: sso ? { href: ssoUrl, text: 'Sign in with Microsoft' } : undefined,
    json: sso ? { signInUrl: ssoUrl } : undefined,
  });
}
