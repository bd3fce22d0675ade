import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { roleAtLeast } from '../policy/roles.js';
import type { Runtime } from './runtime.js';
import { isWebRole, WEB_ROLES, type WebRole } from '../model/types.js';
import { refuse } from './refuse.js';
import { prefersHtml } from './http.js';
import { signInUrlFor } from './sign-in-url.js';

/**
 * Guards a host route by web access role: ReadOnly < User < Admin < EnterpriseAdmin; a user
 * with no role has app login only and is refused like one below the minimum.
 */
export function requireWebRole(runtime: Runtime) {
  return (minimum: WebRole): RequestHandler => {
    if (!isWebRole(minimum))
      throw new Error(`requireWebRole: "${String(minimum)}" is not one of ${WEB_ROLES.join(', ')}`);
    return (req: Request, res: Response, next: NextFunction) => {
      // Read per request: identity.passport() may set currentUser after this guard was made.
      Promise.resolve(runtime.options.currentUser?.(req))
        .then(async (who) => {
          if (!who) {
            // A browser asking for a page goes to sign in and comes back; programs get the 401.
            if (req.method === 'GET' && prefersHtml(req)) return res.redirect(303, signInUrlFor(runtime.options, req));
            return refuse(req, res, { status: 401, title: 'Sign-in required', message: 'Sign in to open this page.' });
          }
          const user = await runtime.store.users.get(who.connectorId, who.userId);
          if (!user || !user.active)
            return refuse(req, res, { status: 401, title: 'Sign-in required', message: 'Your account is not active.' });
          if (!roleAtLeast(user.webRole, minimum)) {
            return refuse(req, res, {
              status: 403,
              title: 'Not allowed',
              message: user.webRole
                ? `This page needs the ${minimum} web access role; you have ${user.webRole}.`
                : `This page needs the ${minimum} web access role; your account has app login only.`,
            });
          }
          next();
        })
        .catch(next);
    };
  };
}
