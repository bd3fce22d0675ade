import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { principal } from '../auth/bearer.js';
import type { Admission, SharedLimit } from '../runtime/shared-limit.js';
import { continueWhenSettled } from '../web/http.js';
import { ScimError } from './errors.js';

/**
 * Per-token request budget in fixed windows, counted in the shared counter store (options.
 * rateLimitStore) so that every instance spends one budget; most hits are decided without
 * waiting on the store (runtime/shared-limit.ts). Answers the IETF draft-7 `RateLimit` and
 * `RateLimit-Policy` headers and, past the limit, 429 with `Retry-After` and a SCIM error body.
 * A 503 (the database was away) is not the client's doing: it gives its request back.
 */
export function tokenRateLimit(limit: SharedLimit): RequestHandler {
  const windowSeconds = Math.ceil(limit.windowMs / 1000);
  const policy = `${limit.limit};w=${windowSeconds}`;
  const answer = (key: string, a: Admission, res: Response, next: NextFunction) => {
    if (a.counted)
      res.once('finish', () => {
        if (res.statusCode === 503) limit.giveBack(key, a);
      });
    const reset = Math.max(0, Math.ceil((a.resetAt - limit.clock()) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${limit.limit}, remaining=${Math.max(0, limit.limit - a.count)}, reset=${reset}`);
    if (a.allowed) return next();
    res.setHeader('Retry-After', String(Math.max(1, reset)));
    next(
      new ScimError(
        429,
        `more than ${limit.limit} requests a minute for this token; retry after the Retry-After delay`,
      ),
    );
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const key = principal(req).token.id;
    const decided = limit.take(key);
    // A decision that waited on the counter store may settle after the deadline's 503.
    if (decided instanceof Promise) continueWhenSettled(decided, res, next, (a) => answer(key, a, res, next));
    else answer(key, decided, res, next);
  };
}
